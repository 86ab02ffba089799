"""The dev server's builder thread: one rebuild per raised `Changes` flag (`Engine.rebuild`),
the site-wide files when no save waits (`Engine.finish`), and the terminal's report."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path

from ..diagnostics import Problems
from .app import State
from .engine import Engine, Outcome
from .watch import Changes


class Builder(threading.Thread):
    """Rebuilds once per raised `changed` flag, then writes the site-wide files unless a
    new change came in meanwhile (the same flag interrupts them: `Engine.finish`)."""

    def __init__(self, root: Path, engine: Engine, state: State, reload: Callable[[], None],
                 on_step: Callable[[str, Outcome], None] | None = None) -> None:
        super().__init__(name="explainer-builder", daemon=True)
        self.root, self.engine, self.state, self.reload = root, engine, state, reload
        self.on_step = on_step
        """Told of each step ("rebuilt", "finishing", "finished"): the tests follow their order."""
        self.changed = Changes(root)
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()
        self.changed.set()

    def step(self, name: str, outcome: Outcome) -> None:
        if self.on_step is not None:
            self.on_step(name, outcome)

    def run(self) -> None:
        while True:
            self.changed.wait()  # blocks: no CPU while nothing changes
            if self.stopping.is_set():
                return
            paths = self.changed.take()
            before = list(self.state.problems)
            self.state.reloaded = False
            outcome = rebuild(self.engine, self.state, paths)
            self.step("rebuilt", outcome)
            if not self.state.reloaded and (outcome.written or outcome.removed or self.state.problems != before):
                self.reload()  # errors, full builds: reload once it is all done
            while self.engine.pending is not None and not self.changed.is_set() and not self.stopping.is_set():
                self.step("finishing", outcome)
                done = finish(self.engine, self.state, self.changed.is_set)
                self.step("finished", done)
                if not done.ok:  # reported; the next save tries again
                    break


def finish(engine: Engine, state: State, interrupted: Callable[[], bool]) -> Outcome:
    """Write the site-wide outputs a rebuild deferred (sitemap, feed, data.json, search index)."""
    try:
        outcome = engine.finish(interrupted)
    except Exception as exc:  # a bug of ours must not kill the server
        state.problems = [f"internal error while writing site-wide files: {type(exc).__name__}: {exc}"]
        print(f"explainer: {state.problems[0]}", file=sys.stderr, flush=True)
        return Outcome(Problems(), ok=False)
    if not outcome.ok:
        state.problems = [p.format() for p in outcome.problems.errors]
        for line in state.problems:
            print(line, file=sys.stderr, flush=True)
    return outcome


def rebuild(engine: Engine, state: State, paths: Collection[str] | None = None) -> Outcome:
    """Run one rebuild and report it in the terminal as `build` would (`paths`: the files
    the watcher saw change, if it knows)."""
    started = time.perf_counter()
    try:
        outcome = engine.rebuild(paths)
    except Exception as exc:  # a bug of ours must not kill the server: say so and keep serving
        state.problems = [f"internal error while rebuilding: {type(exc).__name__}: {exc}"]
        print(f"explainer: {state.problems[0]}", file=sys.stderr, flush=True)
        return Outcome(Problems(), ok=False)
    elapsed = (time.perf_counter() - started) * 1000
    report(state, [p.format() for p in outcome.problems.items])
    if outcome.ok:
        state.problems = []
        state.has_good = True
        if engine.good is not None:  # config.yaml may have moved the site: serve it where it is published
            state.base_path = engine.good.site.config.base_path
        changed = len(outcome.written) + len(outcome.removed)
        verb = "Built" if outcome.full else "Rebuilt"
        print(f"{verb} in {elapsed:.0f} ms: {changed} file{'s' if changed != 1 else ''} written or removed, "
              f"{outcome.rendered} page{'s' if outcome.rendered != 1 else ''} rendered.", flush=True)
    else:
        state.problems = [p.format() for p in outcome.problems.errors]
        n = len(state.problems)
        print(f"Build failed ({n} error{'s' if n != 1 else ''}): still serving the last good version.",
              file=sys.stderr, flush=True)
    sys.stderr.flush()
    return outcome


def report(state: State, lines: list[str]) -> None:
    """Print a rebuild's problems: all of them the first time, then only the ones that
    appeared and (marked "fixed:") the ones that went away. A draft may hold thousands of
    warnings; printing them all again after every save buried the one the save caused."""
    now = dict.fromkeys(lines)
    before = state.reported
    state.reported = now
    if before is None:
        for line in lines:
            print(line, file=sys.stderr)
        return
    for line in lines:
        if line not in before:
            print(line, file=sys.stderr)
    for line in before:
        if line not in now:
            print(f"fixed: {line}", file=sys.stderr)
    kept = sum(1 for line in lines if line in before)
    if kept:
        print(f"({kept} problem{'s' if kept != 1 else ''} reported before and still there, not shown again)",
              file=sys.stderr)
