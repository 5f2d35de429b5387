"""``extends`` / ``includes`` / scenario files: find them, detect cycles, merge by name.

Search path (docs/language.md, section 8): the folder of the file that names the path, then the packaged
``specs/``.  Paths are data from a design file, so they may not be absolute or climb out
of those folders with ``..`` unless the user passes ``--allow-path``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.ir import SourceLoc
from flagcheck.tlamodel.params import Overrides
from flagcheck.tlamodel.records import DefineSpec, ProcSpec, PropSpec, SpecFile, VarSpec
from flagcheck.tlamodel.spec import read_spec
from flagcheck.tlamodel.yamlfile import file_kind, load_yaml


def packaged_specs() -> Path:
    return Path(str(resources.files("flagcheck.specs")))


@dataclass
class Merged:
    """All definitions visible in a design after ``extends`` (later files win by name)."""
    enums: dict[str, tuple[tuple[str, ...], SourceLoc]] = field(default_factory=dict)
    state: dict[str, VarSpec] = field(default_factory=dict)
    defines: dict[str, DefineSpec] = field(default_factory=dict)
    procedures: dict[str, ProcSpec] = field(default_factory=dict)
    properties: dict[str, PropSpec] = field(default_factory=dict)
    chain: list[str] = field(default_factory=list)
    #: define/procedure names the extended files already had (before the last file)
    base_names: set[str] = field(default_factory=set)

    def add(self, spec: SpecFile) -> None:
        for name, (vals, loc) in spec.enums.items():
            if name in self.enums and self.enums[name][0] != vals:
                old = self.enums[name][0]
                if not set(old) <= set(vals) or list(vals[:len(old)]) != list(old):
                    raise DesignError(f"enum {name} is redefined with different values", loc,
                                      hint="an extending file may only append values")
            self.enums[name] = (vals, loc)
        self.state.update(spec.state)
        self.defines.update(spec.defines)
        self.procedures.update(spec.procedures)
        self.properties.update(spec.properties)
        self.chain.append(spec.path)

    def copy(self) -> "Merged":
        return Merged(dict(self.enums), dict(self.state), dict(self.defines),
                      dict(self.procedures), dict(self.properties), list(self.chain),
                      set(self.base_names))


class Resolver:
    def __init__(self, root: Path, allow_paths: tuple[Path, ...] = (),
                 overrides: Overrides | None = None) -> None:
        #: the run's --param values; every file this resolver reads records its params here
        self.overrides = overrides if overrides is not None else Overrides()
        self.roots = [root.resolve().parent, packaged_specs().resolve(),
                      *(p.resolve() for p in allow_paths)]
        self.allow_any = bool(allow_paths)

    def find(self, ref: str, from_file: str, loc: SourceLoc, what: str) -> Path:
        p = Path(ref)
        if p.is_absolute() and not self.allow_any:
            raise DesignError(f"{what} path {ref!r} is absolute", loc,
                              hint="use a path relative to the design's folder, or pass "
                                   "--allow-path DIR")
        bases = [Path(from_file).resolve().parent] + self.roots
        odd: Path | None = None
        for base in bases:
            cand = (base / p).resolve()
            if cand.is_file():
                if not any(cand.is_relative_to(r) for r in self.roots) and not self.allow_any:
                    raise DesignError(f"{what} path {ref!r} leaves the design's folder", loc,
                                      hint="pass --allow-path DIR to allow files elsewhere")
                return cand
            if odd is None and cand.exists() and (self.allow_any or any(
                    cand.is_relative_to(r) for r in self.roots)):
                odd = cand
        if odd is not None:
            # it exists but is a directory, FIFO or device: say so rather than "not found"
            raise DesignError(f"{what} path {ref!r} is {file_kind(odd.stat().st_mode)}; "
                              "expected a regular YAML file", loc)
        raise DesignError(f"{what} file {ref!r} not found", loc,
                          hint="searched " + ", ".join(str(b) for b in bases[:3]))

    def read(self, path: Path, shown: str | None = None) -> SpecFile:
        return read_spec(load_yaml(path, shown), self.overrides)

    def merged(self, spec: SpecFile, seen: tuple[str, ...] = ()) -> Merged:
        """The definitions of ``spec`` with everything it extends and includes, base first."""
        key = str(Path(spec.path).resolve())
        if key in seen:
            raise DesignError("'extends' cycle: " + " -> ".join(
                [Path(s).name for s in seen] + [Path(spec.path).name]), spec.loc)
        out = Merged()
        for ref, loc in spec.extends + spec.includes:
            base_path = self.find(ref, spec.path, loc, "extends")
            base = self.read(base_path, _shown(base_path))
            if base.kind == "scenario":
                raise DesignError(f"{ref} is a scenario; a design extends a library or another "
                                  "design", loc)
            sub = self.merged(base, seen + (key,))
            for name in ("enums", "state", "defines", "procedures", "properties"):
                getattr(out, name).update(getattr(sub, name))
            out.chain.extend(c for c in sub.chain if c not in out.chain)
        out.base_names = set(out.defines) | set(out.procedures)
        out.add(spec)
        return out


def _shown(p: Path) -> str:
    """Paths as a user reads them: relative to the working directory when possible."""
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)
