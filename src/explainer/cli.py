"""The `explainer` command: thin verbs over the pipeline.

Exit codes: 0 success, 1 content errors (or warnings under --strict), 2 usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from . import __version__, schema
from .diagnostics import Problems, UsageError


def _format(args: argparse.Namespace) -> str:
    from .formats import default_format

    return getattr(args, "format", None) or default_format()


def _human(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Where progress text goes: stderr under --format json, so stdout is only JSON lines."""
    return sys.stderr if _format(args) == "json" else sys.stdout


def _problems_out(problems: Problems, strict: bool, args: argparse.Namespace | None = None) -> None:
    """Print every problem in the chosen --format, then a one-line count on stderr.

    Text goes to stderr as before; json and github go to stdout, where scripts and the
    Actions runner read them.
    """
    from .formats import format_problems, workspace_prefix

    fmt = _format(args) if args is not None else "text"
    prefix = workspace_prefix(Path(args.root)) if args is not None and fmt == "github" else ""
    stream = sys.stderr if fmt == "text" else sys.stdout
    lines = format_problems(problems.items, fmt, prefix)
    if lines:  # one write: stderr writes each line on its own (71,000 warnings: half a second of syscalls)
        stream.write("\n".join(lines) + "\n")
        stream.flush()
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
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: give at least 1 process")
    base_url = args.base_url or os.environ.get("EXPLAINER_BASE_URL") or None
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"--base-url {base_url}: give an absolute http or https URL")
    result = build(root, out=out, strict=args.strict, jobs=args.jobs, use_cache=not args.no_cache,
                   base_url=base_url)
    _problems_out(result.problems, args.strict, args)
    if not result.ok:
        print("Build failed: the previous output was left as it was.", file=sys.stderr)
        return 1
    shown = args.out or "site"
    elapsed = time.perf_counter() - started
    pages = sum(1 for w in result.written if w.endswith(".html"))
    out_stream = _human(args)
    print(f"Built {pages} pages ({len(result.written)} files) into {shown}/ in {elapsed:.2f} s.", file=out_stream)
    print("Preview it with: explainer serve   (or any static server in that folder)", file=out_stream)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .build import check

    problems, site = check(_root(args))
    _problems_out(problems, args.strict, args)
    if args.report:
        from .resolve.coverage import coverage_report

        print(coverage_report(site), file=_human(args))
    if problems.has_errors(args.strict):
        return 1
    n = len(site.project.entries)
    print(f"Checked {n} entries: {'no problems' if not len(problems) else 'no errors'}.", file=_human(args))
    return 0


def cmd_links(args: argparse.Namespace) -> int:
    from .diagnostics import Problems
    from .links.command import run
    from .pipeline import load_project

    root = _root(args)
    if args.save and not args.archive:
        raise UsageError("--save asks the archive to capture pages it has no copy of: use it with --archive")
    loaded = Problems()
    project = load_project(root, loaded)
    if loaded.errors:
        _problems_out(Problems.restore(loaded.errors), args.strict, args)
        print("Fix these first ('explainer check' shows every problem): links are checked on a project that loads.",
              file=sys.stderr)
        return 1
    human = _human(args)
    problems = Problems(loaded.overrides)
    outcome = run(root, project, problems, archive=args.archive, write=args.write, capture=args.save,
                  recheck=args.recheck, say=lambda text: print(text, file=human, flush=True))
    _problems_out(problems, args.strict, args)
    for line in outcome.archive:
        print(line, file=human)
    counts = {what: sum(1 for r in outcome.results.values() if r.outcome == what)
              for what in ("broken", "redirected", "unreachable")}
    print(f"Checked {len(outcome.results)} links ({outcome.asked} asked, {len(outcome.results) - outcome.asked} "
          f"from .explainer-cache/links.json): {counts['broken']} broken, {counts['redirected']} moved permanently, "
          f"{counts['unreachable']} could not be checked.", file=human)
    if outcome.asked and counts["unreachable"] == len(outcome.results):
        print("No link could be reached: is this machine offline? Nothing was marked broken.", file=human)
    return 1 if problems.has_errors(args.strict) else 0


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import OPTIONS, new_entry, new_translation

    root = _root(args)
    given = {name: getattr(args, name) for name in OPTIONS if getattr(args, name) is not None}
    if args.lang:
        if given:
            raise UsageError("--lang copies the original's keys to translate: give no other option")
        path = new_translation(root, args.entry_kind, args.id, args.lang)
        print(f"Wrote {path.relative_to(root).as_posix()}: translate it, then run "
              f"explainer translate mark {path.relative_to(root).as_posix()}")
        return 0
    path = new_entry(root, args.entry_kind, args.id, given)
    print(f"Wrote {path.relative_to(root).as_posix()}")
    if "placeholder: replace it" in path.read_text(encoding="utf-8"):
        print("Replace its placeholders (check and build point at each one until you do).")
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from .translate import mark, status

    root = _root(args)
    if args.action == "mark":
        if not args.files:
            raise UsageError("name the translations to mark: explainer translate mark content/actors/nato.ja.md")
        for line in mark(root, args.files):
            print(line)
        return 0
    problems, lines = status(root)
    if problems.errors:
        _problems_out(Problems.restore(problems.errors), False, args)
    for line in lines:
        print(line)
    return 1 if problems.errors else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .jsonschema_export import DEFAULT_DIR, write_schemas

    root = _root(args)
    out = Path(args.out) if args.out else root / DEFAULT_DIR
    written = write_schemas(out)
    for path in written:
        print(f"Wrote {_shown_path(path, root)}")
    return 0


def _shown_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def cmd_init(args: argparse.Namespace) -> int:
    from .scaffold import init_project

    git = init_project(Path(args.dir))
    shown = args.dir.rstrip("/\\") or args.dir
    print(f"Started an explainer project in {shown}/ and {git}.")
    print("Next:")
    print(f"  1. cd {shown} && explainer serve")
    print("     Preview the site on http://127.0.0.1:8000/ as you edit; give config.yaml your title.")
    print("  2. explainer new event ID --date YYYY-MM-DD")
    print("     Write your entries (also explainer new actor ID, explainer new source ID); delete the examples.")
    print("  3. Push to a new GitHub repository, then set Settings > Pages > Source: GitHub Actions.")
    print("     Every push to the default branch then publishes the site (see README.md).")
    return 0


def cmd_layout(args: argparse.Namespace) -> int:
    from .scaffold import copy_layout, default_layouts

    if args.action == "list":
        for name in default_layouts():
            print(name)
        return 0
    if not args.name:
        raise UsageError("explainer layout copy NAME: name the layout to copy (explainer layout list shows them)")
    root = _root(args)
    path = copy_layout(root, args.name)
    print(f"Wrote {_shown_path(path, root)}: edit it to change the site's look (it replaces the default of that name)")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: a port is a number from 0 to 65535")
    return serve(_root(args), host=args.host, port=args.port, open_browser=args.open, poll=args.poll)


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
    p.add_argument("--base-url", metavar="URL",
                   help="the address the site is published at, overriding base_url in config.yaml "
                        "(also read from EXPLAINER_BASE_URL)")
    p.add_argument("--jobs", type=int, metavar="N",
                   help="worker processes (default: every core for sites of 200 entries or more)")
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor write .explainer-cache/ (a fully cold build)")
    _format_option(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("check", parents=[common], help="validate everything, write nothing",
                       description="Validate everything a build would; write nothing.")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--report", action="store_true", help="also print citation coverage per entry")
    _format_option(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("links", parents=[common], help="check every external link; find archived copies",
                       description="Check every external URL the site links to (sources' url and archive_url, "
                                   "bibliography URLs and DOIs, links in bodies) and report the broken ones where "
                                   "they are written. Answers are remembered in .explainer-cache/links.json for "
                                   "links: {recheck_after_days} (default 7).")
    p.add_argument("--strict", action="store_true", help="fail on warnings too (broken links fail)")
    p.add_argument("--recheck", action="store_true", help="ask every link again, however fresh its last answer")
    p.add_argument("--archive", action="store_true",
                   help="look up the archived copy closest to each source's accessed (or date) for sources "
                        "without an archive_url")
    p.add_argument("--write", action="store_true",
                   help="record findings in the sources' front matter: archive_url and archive_date (with "
                        "--archive), url_status: dead and url_checked for a broken url")
    p.add_argument("--save", action="store_true",
                   help="with --archive: ask the archive to capture each url it has no copy of (slow: one "
                        "request every links: {save_interval} seconds)")
    _format_option(p)
    p.set_defaults(func=cmd_links)

    p = sub.add_parser("new", parents=[common], help="write a new entry with its front matter",
                       description="Write content/KIND/ID.md with the kind's front matter filled in.")
    p.add_argument("entry_kind", choices=list(schema.KINDS), metavar="KIND",
                   help=", ".join(list(schema.KINDS)[:-1]) + " or " + list(schema.KINDS)[-1])
    p.add_argument("id", metavar="ID", help="lower-case kebab-case id, e.g. vilnius-summit-2023")
    p.add_argument("--title", help="the title (default: made from the id; an actor's as a name)")
    sorts = [f for k in schema.KINDS.values() if (f := k.field("kind")) is not None]
    p.add_argument("--kind", metavar="SORT",
                   help="what sort of entry it is: " + "; ".join(", ".join(f.choices) for f in sorts))
    p.add_argument("--date", help="an event's or a source's date: 2024-03-12, 2024-03 or 2024")
    p.add_argument("--publisher", help="a source's publisher")
    p.add_argument("--url", help="a source's address (accessed: the day you run this)")
    p.add_argument("--summary", help="one or two sentences for lists and previews")
    p.add_argument("--lang", metavar="CODE", help="write a translation of the existing entry ID into CODE "
                   "(content/KIND/ID.CODE.md, from the original's text), for a language config.yaml lists")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("translate", parents=[common], help="where translations stand; mark one as up to date",
                       description="status: per language, the entries missing a translation, the translations "
                       "whose original changed since they were marked, and the current ones. mark FILE...: record "
                       "that each translation (ID.LANG.md) translates its original as it is now.")
    p.add_argument("action", choices=["status", "mark"], help="status or mark")
    p.add_argument("files", nargs="*", metavar="FILE", help="translations to mark (with mark)")
    p.set_defaults(func=cmd_translate)

    p = sub.add_parser("init", help="start a new explainer project in DIR",
                       description="Start a project that builds and publishes: config.yaml, one entry of each kind, "
                                   "layouts/, a .gitignore, a GitHub Pages workflow and a README; "
                                   "git init when not inside a repository. Refuses a non-empty folder.")
    p.add_argument("dir", metavar="DIR")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", parents=[common], help="serve the site, rebuild on change, reload the browser",
                       description="Build, serve on http://HOST:PORT/, watch content/, layouts/ and config.yaml, "
                                   "rebuild only what a change affects and reload the browser. Ctrl-C stops.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0 shares it)")
    p.add_argument("--port", type=int, default=8000,
                   help="port (default 8000; the next free one if taken; 0 picks any free port)")
    p.add_argument("--open", action="store_true", help="open the site in the default browser")
    p.add_argument("--poll", action="store_true",
                   help="look at the files' stat every 100 ms instead of waiting for file events "
                        "(for network drives and other folders whose changes raise no events)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("schema", parents=[common], help="write JSON Schemas of config.yaml and front matter",
                       description="Write JSON Schemas (draft 2020-12) of config.yaml and each kind's "
                                   "front matter, for editors with a YAML language server.")
    p.add_argument("--out", metavar="DIR", help="output folder (default: schemas/ in the project)")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("layout", parents=[common], help="list the default layouts, or copy one to override it",
                       description="list: print the default layouts' names. copy NAME: copy one default layout "
                                   "into the project's layouts/ to change it there (never overwrites a file).")
    p.add_argument("action", choices=["list", "copy"], metavar="ACTION", help="list or copy")
    p.add_argument("name", nargs="?", metavar="NAME", help="the layout to copy, e.g. event.html or assets/style.css")
    p.set_defaults(func=cmd_layout)
    return parser


def _format_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["text", "json", "github"], default=None,
                   help="problems as text, JSON lines or GitHub workflow commands "
                        "(default: github when GITHUB_ACTIONS is set, else text)")


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
