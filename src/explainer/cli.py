"""The `explainer` command: thin verbs over the pipeline.

Exit codes: 0 success, 1 content errors (or warnings under --strict), 2 usage errors.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

from . import __version__
from .diagnostics import Problems, UsageError


def _problems_out(problems: Problems, strict: bool) -> None:
    for p in problems.items:
        print(p.format(), file=sys.stderr)
    errors, warnings = len(problems.errors), len(problems.warnings)
    if errors or warnings:
        parts = [f"{errors} error{'s' if errors != 1 else ''}", f"{warnings} warning{'s' if warnings != 1 else ''}"]
        tail = " (--strict: warnings fail the build)" if strict and warnings and not errors else ""
        print(", ".join(parts) + tail, file=sys.stderr)


def _root(args: argparse.Namespace) -> Path:
    root = Path(args.root)
    if not root.is_dir():
        raise UsageError(f"--root {args.root}: no such folder")
    return root


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    root = _root(args)
    started = time.perf_counter()
    out = Path(args.out) if args.out else None
    result = build(root, out=out, strict=args.strict)
    _problems_out(result.problems, args.strict)
    if not result.ok:
        print("Build failed: the previous output was left as it was.", file=sys.stderr)
        return 1
    shown = args.out or "site"
    elapsed = time.perf_counter() - started
    pages = sum(1 for w in result.written if w.endswith(".html"))
    print(f"Built {pages} pages ({len(result.written)} files) into {shown}/ in {elapsed:.2f} s.")
    print("Preview it with: explainer serve   (or any static server in that folder)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .build import check

    problems, site = check(_root(args))
    _problems_out(problems, args.strict)
    if args.report:
        from .coverage import coverage_report

        print(coverage_report(site))
    if problems.has_errors(args.strict):
        return 1
    n = len(site.project.entries)
    print(f"Checked {n} entries: {'no problems' if not len(problems) else 'no errors'}.")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import new_entry

    root = _root(args)
    path = new_entry(root, args.kind, args.id)
    print(f"Wrote {path.relative_to(root).as_posix()}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from .scaffold import init_project

    target = Path(args.dir)
    init_project(target)
    print(f"Started an explainer project in {args.dir}/. Next: cd {args.dir} && explainer serve")
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="explainer",
        description="Build explainer sites: actors, events and sources, cross-linked and cited.",
    )
    parser.add_argument("--version", action="version", version=f"explainer {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=".", metavar="DIR",
                        help="the project folder (holding config.yaml); default: the current folder")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("build", parents=[common], help="build the site into site/",
                       description="Build the whole site; a failed build leaves the previous output untouched.")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--out", metavar="DIR", help="output folder (default: site/ in the project)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("check", parents=[common], help="validate everything, write nothing",
                       description="Validate everything a build would; write nothing.")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--report", action="store_true", help="also print citation coverage per entry")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("new", parents=[common], help="write a new entry with its front matter",
                       description="Write content/KIND/ID.md with the kind's front matter filled in.")
    p.add_argument("kind", choices=["actor", "event", "source", "page"], metavar="KIND",
                   help="actor, event, source or page")
    p.add_argument("id", metavar="ID", help="lower-case kebab-case id, e.g. vilnius-summit-2023")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("init", help="start a new explainer project in DIR",
                       description="Start a project: config, layouts, one entry of each kind.")
    p.add_argument("dir", metavar="DIR")
    p.set_defaults(func=cmd_init)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"explainer: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
