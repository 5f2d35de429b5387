"""The terminal report: one verdict line per scenario × property, then each
counterexample as a per-task table (one column per task)."""
from __future__ import annotations

import os
import threading
import time

from rich.console import Console, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from flagcheck.checker.report import facts
from flagcheck.checker.coverage import Coverage
from flagcheck.checker.verdict import Verdict
from flagcheck.pyspec.progress import Progress
from flagcheck.tlamodel.ir import Model

STYLE = {"violated": "bold red", "proved": "bold green", "holds": "green",
         "unknown": "bold yellow", "skipped": "dim"}
#: characters of a statement shown in a trace table cell (the JSON/ITF trace has all of it)
STMT_CHARS = 160


def verdict_table(verdicts: list[Verdict]) -> Table:
    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for col in ("scenario", "property", "verdict", "engine", "seconds", "expected"):
        t.add_column(col)
    for v in verdicts:
        o = v.outcome
        word = v.word() if v.outcome else "not checked (reason below)"
        met = v.expectation_met()
        exp = "" if v.expected is None else (
            f"{v.expected.verdict}" + (" ✓" if met else " ✗ MISMATCH" if met is False else ""))
        t.add_row(v.scenario, v.property, Text(word, style=STYLE[v.status]),
                  o.label if o else "", f"{o.seconds:.2f}" if o else "", exp)
    return t


def trace_table(model: Model, v: Verdict) -> Table:
    assert v.outcome is not None and v.outcome.trace is not None
    tasks = list(model.tasks)
    t = Table(show_header=True, header_style="bold", show_lines=True, expand=False)
    t.add_column("#", justify="right", no_wrap=True)
    for task in tasks:
        t.add_column(task, overflow="fold", max_width=44)
    t.add_column("changed", overflow="fold", max_width=40)
    for s in facts.steps(model, v.outcome.trace):
        cell = Text()
        for k, p in enumerate(s.parts):
            if k:
                cell.append("\n")
            if len(s.parts) > 1:     # a merged step: each statement with its own place
                cell.append(f"{k + 1}/{len(s.parts)} ", style="bold")
            cell.append(p.function + "\n", style="cyan")
            if p.label:
                cell.append(f"{p.label}: ", style="magenta")
            cell.append(facts.abbrev(p.text, STMT_CHARS))
            if p.branch:
                cell.append(f" -> {p.branch}", style="bold")
            for d in p.notes():
                cell.append("\n" + d, style="dim")
        row = [str(s.number)] + [cell if task == s.task else Text("") for task in tasks]
        row.append(Text("\n".join(facts.change_text(c) for c in s.changes), style="yellow"))
        t.add_row(*row)
    return t


def print_counterexample(console: Console, v: Verdict) -> None:
    model = v.model
    assert model is not None and v.outcome is not None and v.outcome.trace is not None
    trace = v.outcome.trace
    console.print()
    console.rule(f"[bold red]{v.property}[/] violated on [bold]{v.scenario}[/] "
                 f"({v.design}): {trace.length} steps, replayed ✓")
    prop = model.property(v.property)
    if prop.doc:
        console.print(Text(f"{v.property}: {prop.doc}", style="italic"))
    console.print(trace_table(model, v))
    if trace.loop_start is not None:   # a lasso: the run never gets out of this
        n, ls = trace.length, trace.loop_start
        note = (f"↻ after step {n} no task can step: the run stays in this state forever"
                if ls == n else f"↻ steps {ls + 1}..{n} repeat forever (state {n} = state {ls})")
        console.print(Text(note, style="bold magenta"))
    end = facts.ending(v)
    if end.error:
        console.print(Text(f"run-time error: {end.error}", style="bold red"))
    console.print(Text("At the end:", style="bold"))
    for e in end.tasks:
        console.print(Text(f"  {e.task}: {facts.where(e, STMT_CHARS)}"))
    if end.values:
        console.print(Text("Values the property reads:", style="bold"))
        for owner, vals in end.values.items():
            console.print(f"  {owner}: " + ", ".join(vals))


def print_report(console: Console, verdicts: list[Verdict], header: str) -> None:
    console.print(Text(header, style="bold"))
    console.print(verdict_table(verdicts))
    for v in verdicts:
        if v.status == "violated":
            print_counterexample(console, v)
    print_skipped(console, verdicts)
    for v in verdicts:   # a proof that rests on an invariant is shown with it: PDR's own,
        # in the design's names, or the mined one k-induction's step case assumed
        c = v.outcome.certificate if v.outcome is not None else None
        if c is not None and v.status == "proved" and (c.method == "pdr" or c.mined):
            console.print(Text(f"{v.property} on {v.scenario}: {c.describe()}", style="dim"))


def print_skipped(console: Console, verdicts: list[Verdict]) -> None:
    """Why each "not checked (reason below)" row was not checked (also under --quiet: the
    table promises the reason)."""
    for v in verdicts:
        if v.status == "skipped":
            console.print(Text(f"not checked: {v.property} on {v.scenario}: {v.skipped}", style="dim"))


def print_coverage(console: Console, coverage: list[Coverage], strict: bool = False) -> None:
    """One summary line per scenario, then the vacuity warnings."""
    if not coverage:
        return
    console.print(Text("Coverage (explicit-state exploration of each scenario):", style="bold"))
    for c in coverage:
        console.print(Text("  " + c.summary(), style="" if c.computed else "dim"))
        for line in c.unreached():
            console.print(Text("    " + line, style="dim"))
    print_findings(console, coverage, strict)


def print_findings(console: Console, coverage: list[Coverage], strict: bool = False) -> None:
    """Vacuity warnings (errors under --strict), one per line."""
    for f in (f for c in coverage for f in c.findings):
        console.print(Text(("error: " if strict else "warning: ") + f.message,
                           style="bold red" if strict else "bold yellow"))


#: seconds between two plain progress lines when stderr is not a terminal (CI logs)
PROGRESS_SECONDS = 10.0


def progress_seconds() -> float:
    """The plain-line interval: ``FLAGCHECK_PROGRESS_SECONDS`` if set to a positive number
    (tests use a fraction of a second), else ``PROGRESS_SECONDS``."""
    try:
        v = float(os.environ.get("FLAGCHECK_PROGRESS_SECONDS", ""))
    except ValueError:
        return PROGRESS_SECONDS
    return v if v > 0 else PROGRESS_SECONDS


class LiveStatus:
    """What a long run is doing, on stderr: the scenario being checked and the engines'
    own figures (BMC depth and seconds per depth, explicit states/s and queue, k, PDR
    level and lemmas; see pyspec.progress), and the elapsed time.

    On a terminal: a live spinner line, shown once the run has taken ``delay`` seconds
    (short runs stay clean) and gone when it ends.  Not on a terminal (CI logs, pipes):
    with ``every`` set, a plain ``progress: ...`` line every ``every`` seconds, like TLC's
    progress lines, so a log never goes silent for minutes; without it, nothing.

    ``progress`` is the engines' hook (thread-safe: the portfolio's reports arrive on
    the main thread, a rich refresh or the plain printer reads them on another)."""

    def __init__(self, console: Console | None = None, enabled: bool = True,
                 delay: float = 1.0, every: float | None = None) -> None:
        self.console = console if console is not None else Console(stderr=True)
        terminal = self.console.is_terminal
        self.enabled = enabled and terminal
        self.every = every if enabled and not terminal else None
        self.delay = delay
        self.text = ""
        self.label = ""
        self.figures: dict[str, Progress] = {}
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._timer: threading.Timer | None = None
        self._stop = threading.Event()
        self._printer: threading.Thread | None = None
        self._start = 0.0
        self._spinner = Spinner("dots")

    def line(self) -> str:
        """What is being checked: the engines' figures once there are any, else the
        engine and bound of ``update``."""
        with self._lock:
            figures = " · ".join(p.text() for p in self.figures.values())
            label, text = self.label, self.text
        return f"{label} · {figures}" if figures and label else text

    def __rich__(self) -> RenderableType:
        elapsed = time.monotonic() - self._start
        self._spinner.update(text=Text(f"{self.line()}  {elapsed:5.1f}s", style="cyan"))
        return self._spinner

    def update(self, text: str, label: str | None = None) -> None:
        """A new step of the run (a scenario, coverage): ``text`` says what and how
        (engine, bound), ``label`` is its short name shown before the engines' figures.
        The previous step's figures are dropped."""
        with self._lock:
            self.text = text
            self.label = label if label is not None else ""
            self.figures = {}

    def progress(self, p: Progress) -> None:
        """The engines' hook: keep the latest figures of each engine."""
        with self._lock:
            self.figures[p.engine.split("→")[0]] = p

    def _show(self) -> None:
        with self._lock:
            if self._timer is None:        # already stopped
                return
            self._live = Live(self, console=self.console, transient=True, refresh_per_second=8)
            self._live.start()

    def _print_every(self, every: float) -> None:
        while not self._stop.wait(every):
            elapsed = time.monotonic() - self._start
            try:
                self.console.file.write(f"progress: {self.line()} · {elapsed:.0f} s\n")
                self.console.file.flush()
            except (OSError, ValueError):  # stderr closed: nobody is reading any more
                return

    def __enter__(self) -> "LiveStatus":
        self._start = time.monotonic()
        if self.enabled:
            self._timer = threading.Timer(self.delay, self._show)
            self._timer.daemon = True
            self._timer.start()
        if self.every is not None:
            self._stop.clear()
            self._printer = threading.Thread(target=self._print_every, args=(self.every,),
                                             name="flagcheck-progress", daemon=True)
            self._printer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            timer, self._timer = self._timer, None
            live, self._live = self._live, None
            printer, self._printer = self._printer, None
        if timer is not None:
            timer.cancel()
        if live is not None:
            live.stop()
        if printer is not None:
            self._stop.set()
            printer.join()
