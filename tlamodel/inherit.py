"""Scenarios and expectations a design inherits from the designs it ``extends``.

A variant of a design (a proposal built on the merged code, say) is meant to be checked
against the same litmus scenarios as its base, with the same expected verdicts unless it
says otherwise.  Copying both lists into every derived file lets them drift apart, so a
design gets, base first:

* its bases' ``scenarios:``, minus the names in its own ``drop_scenarios:``, plus its own
  ``scenarios:`` (an entry whose scenario name equals an inherited one replaces it, in
  place);
* its bases' ``expect:`` entries merged per (scenario, property), its own entry winning,
  and with the entries of dropped scenarios left out.

Libraries have neither list; only ``extends`` of a design contributes.  Each base's
scenario paths resolve relative to the base's own file, as its ``extends`` paths do.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flagcheck.tlamodel.errors import DesignError, did_you_mean
from flagcheck.tlamodel.records import Expectation, SpecFile
from flagcheck.tlamodel.resolve import Resolver, _shown


@dataclass(frozen=True)
class Inherited:
    """The scenario list and expectations of one design after inheritance."""
    scenarios: tuple[SpecFile, ...]
    expect: tuple[Expectation, ...]
    #: expectations written in the design's own file (the caller checks their properties)
    own_expect: tuple[Expectation, ...]


def inherit(resolver: Resolver, spec: SpecFile) -> Inherited:
    """Scenarios and expectations of ``spec`` with those of the designs it extends.

    ``extends`` cycles are reported by Resolver.merged, which the loader runs first.
    """
    scenarios: list[SpecFile] = []
    expect: dict[tuple[str, str], Expectation] = {}
    for ref, loc in spec.extends:
        base_path = resolver.find(ref, spec.path, loc, "extends")
        base = resolver.read(base_path, _shown(base_path))
        if base.kind != "design":
            continue
        sub = inherit(resolver, base)
        for s in sub.scenarios:
            _put(scenarios, s)
        for e in sub.expect:
            expect[(e.scenario, e.prop)] = e
    dropped = _drop(spec, scenarios)
    scenarios = [s for s in scenarios if s.name not in dropped]
    expect = {k: e for k, e in expect.items() if e.scenario not in dropped}
    for s in own_scenarios(resolver, spec):
        _put(scenarios, s)
    names = [s.name for s in scenarios]
    for e in spec.expect:
        if e.scenario not in names:
            hint = did_you_mean(e.scenario, names)
            if not hint and e.scenario in dropped:
                hint = f"drop_scenarios: removes '{e.scenario}' from this design"
            raise DesignError(f"expect: unknown scenario '{e.scenario}'", e.loc, hint=hint)
        expect[(e.scenario, e.prop)] = e
    return Inherited(tuple(scenarios), tuple(expect.values()), tuple(spec.expect))


def own_scenarios(resolver: Resolver, spec: SpecFile) -> list[SpecFile]:
    """The scenario files a design lists itself, resolved relative to its own file."""
    out = []
    for ref, loc in spec.scenarios:
        sp = resolver.find(ref, spec.path, loc, "scenario")
        s = resolver.read(sp, _shown(sp))
        if s.kind != "scenario":
            raise DesignError(f"{ref} is a {s.kind} file, not a scenario", loc)
        out.append(s)
    return out


def _put(scenarios: list[SpecFile], s: SpecFile) -> None:
    """Append ``s``, or replace (in place) the scenario of the same name."""
    for i, old in enumerate(scenarios):
        if old.name == s.name:
            scenarios[i] = s
            return
    scenarios.append(s)


def _drop(spec: SpecFile, inherited: list[SpecFile]) -> set[str]:
    names = [s.name for s in inherited]
    for name, loc in spec.drop_scenarios:
        if name in names:
            continue
        if not names:
            hint = ("only scenarios inherited through 'extends:' of a design can be dropped, "
                    "and this design inherits none")
        elif Path(name).suffix in (".yaml", ".yml"):
            hint = "name the scenario (its 'scenario:' key), not its file"
        else:
            hint = did_you_mean(name, names) or "inherited: " + ", ".join(names)
        raise DesignError(f"drop_scenarios: design {spec.name} inherits no scenario '{name}'",
                          loc, hint=hint)
    return {n for n, _ in spec.drop_scenarios}
