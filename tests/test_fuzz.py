"""Property tests: whatever an author writes, check and build end in success or clean problems.

The only allowed outcomes of `build.check` and `build.build` on arbitrary front matter and
arbitrary Markdown are success or problems that format as `path:line:col: severity: message`
(line and column >= 1): never an exception, never a file outside the output folder; and
`check` reports exactly the problems `build` reports (it promises to validate everything
a build would).
Examples are bounded (max_examples, small sizes) so the file runs in well under a minute;
`--hypothesis-profile=ci` derandomizes them. Inputs that once failed live in
tests/fuzz_regressions/ and run first, every time.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_project
from explainer import schema
from explainer.build import build, check
from explainer.cli import main
from explainer.diagnostics import CODES

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROBLEM = re.compile(r"^(?P<path>[^\n]+?):(?P<line>[0-9]+):(?P<col>[0-9]+): (?:error|warning): [^\n]+$")
REGRESSIONS = Path(__file__).parent / "fuzz_regressions"

ODD = ["\u200f", "\u200e", "\u202e", "\u200d", "\u200b", "\ufeff", "\x00", "\x0b", "\x1b", "\u2028",
       "\ud800", "\udfff", "é", "日本", "👩‍👩‍👧", "\r", "\r\n", "\t", "\\", "`", '"', "'", "<", ">", "&"]
MARKUP = ["[[", "]]", "[@", "@", "]", "[", "|", ";", ",", "\\", "`", "```", "~~~", ":::", "::: dispute ",
          "::: dispute Q?\n", "\n:::\n", "- ", "> ", "# ", "[^x]", "[^x]: ", "<script>", "</div>", "<!--",
          "<a href='javascript:x'>", "[x](javascript:alert(1))", "[x](../actors/nato.md)", "![i](data:x)",
          "nato", "guardian-2023", "summit-2023", "about", "p. 3", "\n", "\n\n", "    ", "*", "_", "|---|",
          "&#106;", "&amp;", "{{", "}}", "{%", "%}", "---\n", "..."]
KEYS = ["title", "kind", "summary", "role", "aliases", "members", "member_of", "date", "end_date",
        "date_precision", "actors", "sources", "publisher", "authors", "url", "nav", "status", "location",
        "image", "image_alt", "type", "language", "accessed", "archive_url", "updated", "x"]

odd_text = st.lists(st.one_of(st.sampled_from(ODD), st.text(max_size=8)), max_size=12).map("".join)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), odd_text,
                    st.sampled_from(["2023-07-11", "2023", "NO", "yes", "https://example.org/", "nato",
                                     "guardian-2023", "x" * 5000]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(odd_text, inner, max_size=4)),
                      max_leaves=12)
mappings = st.dictionaries(st.one_of(st.sampled_from(KEYS), odd_text), values, max_size=8)


def deep(levels: int) -> object:
    value: object = "x"
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    """YAML from random structures (safe_dump), or raw text that may not be YAML at all."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        data = draw(mappings)
        return yaml.safe_dump(data, allow_unicode=True)
    if choice == 1:
        return draw(st.lists(st.one_of(st.sampled_from(["title: ", "- ", ": ", "&a ", "*a", "!!python/name:os.system",
                                                         "{", "[", "'", '"', "\n", "  ", "? ", "|", ">"]),
                                       odd_text), max_size=20).map("".join))
    if choice == 2:
        return yaml.safe_dump({"title": "T", "summary": deep(draw(st.integers(30, 60)))})
    return "title: " + draw(st.sampled_from(["x" * 200_000, "[" * 100, "&a [*a]", "'unclosed", "a: b: c"]))


markdown = st.lists(st.one_of(st.sampled_from(MARKUP), odd_text), max_size=40).map("".join)


def encode(text: str) -> bytes:
    """UTF-8, except that lone surrogates become the raw (invalid) bytes an editor might write."""
    return text.encode("utf-8", "surrogatepass")


def files_outside(root: Path, expected: set[str]) -> list[str]:
    """Files under the project that neither the test wrote nor the build may write (site/)."""
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if path.is_dir() or rel in expected or rel.startswith("site/") or rel == ".site.lock":
            continue
        found.append(rel)
    return sorted(found)


def assert_clean_outcome(files: dict[str, str | bytes | None]) -> None:
    """check and build: success or well-formed problems, nothing written outside site/."""
    with tempfile.TemporaryDirectory() as tmp:
        root = make_project(Path(tmp), files)
        expected = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
        problems, _ = check(root)
        result = build(root)
        assert [p.format() for p in problems.items] == [p.format() for p in result.problems.items], \
            "check and build report different problems"
        for problem in problems.items + result.problems.items:
            text = problem.format()
            m = PROBLEM.match(text)
            assert m, f"badly formed problem: {text!r}"
            assert int(m["line"]) >= 1 and int(m["col"]) >= 1, text
        assert files_outside(root, expected) == []
        site = root / "site"
        if result.ok:
            assert (site / "index.html").is_file()
        assert [p.name for p in Path(tmp).iterdir()] == ["project"]


@FUZZ
@given(fm=front_matter(), body=markdown)
def test_arbitrary_front_matter_and_body(fm: str, body: str) -> None:
    assert_clean_outcome({"content/pages/fuzz.md": encode(f"---\n{fm}\n---\n{body}\n")})


@FUZZ
@given(body=markdown, kind=st.sampled_from(["content/actors/nato.md", "content/events/summit-2023.md",
                                              "content/index.md"]))
def test_arbitrary_markdown_in_cited_entries(body: str, kind: str) -> None:
    heads = {"content/actors/nato.md": "title: NATO\nkind: organisation\n",
             "content/events/summit-2023.md": "title: Summit\ndate: 2023-07-11\nactors: [nato]\n",
             "content/index.md": "title: Home\n"}
    assert_clean_outcome({kind: encode(f"---\n{heads[kind]}---\n{body}\n[[nato]] [@guardian-2023]\n")})


@FUZZ
@given(config=st.one_of(mappings.map(lambda m: yaml.safe_dump(m, allow_unicode=True)), odd_text))
def test_arbitrary_config(config: str) -> None:
    assert_clean_outcome({"config.yaml": encode(config)})


# --- YAML written by hand: what safe_dump cannot write (5000-digit numbers, escapes, null keys) ------

ESCAPES = ["\\0", "\\x1b", "\\e", "\\a", "\\u0000", "\\uFFFE", "\\x85", "\\x7f", "\\U0010FFFF", "\\u2028",
           "\\t", "\\n", "\\\\", '\\"', "\\ud800", "a", " ", "é", "<script>"]
WORDS = ["~", "null", "", "true", "false", "0", "-1", "1e999", "-1e999", ".5", "NO", "off", "error", "warning",
         "timeline", "actors", "about", "nato", "https://example.org/", "entry-orphan", "2023-07-11", "&a x", "*a",
         "!!python/name:os.system", "'quoted'"]
yaml_scalar = st.one_of(
    st.sampled_from(WORDS),
    st.integers(-10**6, 10**6).map(str),
    st.integers(4290, 6000).map(lambda n: "9" * n),  # around Python's 4300-digit int-string limit
    st.lists(st.sampled_from(ESCAPES), max_size=6).map(lambda parts: '"' + "".join(parts) + '"'),
    odd_text.map(lambda t: json.dumps(t, ensure_ascii=True)),  # JSON strings are YAML double-quoted strings
)
yaml_key = st.sampled_from([*CODES, "null", "~", '""', "a", "5", "true"])
yaml_value = st.recursive(yaml_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
    st.lists(st.tuples(yaml_key, inner), max_size=4).map(
        lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}")), max_leaves=10)


def yaml_mapping(keys: list[str]) -> st.SearchStrategy[str]:
    """Block-mapping YAML text: known keys (and null, ~, odd ones), each with any flow value."""
    return st.lists(st.tuples(st.sampled_from([*keys, "null", "~", "x"]), yaml_value), max_size=8).map(
        lambda pairs: "".join(f"{k}: {v}\n" for k, v in pairs))


CONFIG_KEYS = [f.name for f in schema.CONFIG.fields]
COUNT = re.compile(r"^[0-9]+ errors?, [0-9]+ warnings?( \(--strict: warnings fail the build\))?$")


def run_command(*args: str) -> tuple[int, str, str]:
    """The real command line (`explainer.cli.main`), in process: exit code, stdout, stderr.
    An exception escaping it is a traceback the user would see, and fails the property."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([*args, "--format", "text"])
    return code, out.getvalue(), err.getvalue()


def assert_commands_clean(files: dict[str, str | bytes | None]) -> None:
    """check and build exit 0, 1 or 2; stderr holds only problems, the count and the build's last word."""
    with tempfile.TemporaryDirectory() as tmp:
        root = make_project(Path(tmp), files)
        for command in ("check", "build"):
            code, _, err = run_command(command, "--root", str(root))
            assert code in (0, 1, 2), (command, code, err)
            assert "Traceback" not in err and "internal error" not in err, err
            for line in err.splitlines():
                m = PROBLEM.match(line)
                assert (m and int(m["line"]) >= 1 and int(m["col"]) >= 1) or COUNT.match(line) or (
                    line == "Build failed: the previous output was left as it was."), f"{command}: {line!r}"
            assert code != 1 or PROBLEM.match(err.splitlines()[0]), err


@FUZZ
@given(config=yaml_mapping(CONFIG_KEYS), title=st.booleans())
def test_any_yaml_value_in_every_config_key(config: str, title: bool) -> None:
    head = "title: T\nbase_url: https://example.org/\n" if title else ""
    assert_commands_clean({"config.yaml": encode(head + config)})


@FUZZ
@given(fm=yaml_mapping(KEYS[:-1]), kind=st.sampled_from(["content/actors/nato.md", "content/events/summit-2023.md",
                                                         "content/sources/guardian-2023.md", "content/pages/about.md",
                                                         "content/index.md"]))
def test_any_yaml_value_in_front_matter(fm: str, kind: str) -> None:
    assert_commands_clean({kind: encode(f"---\n{fm}---\nText.[@guardian-2023] [[nato]]\n")})


def test_regression_seeds() -> None:
    """Every input that once broke a build (see fuzz_regressions/README.md) stays fixed."""
    seeds = sorted(p for p in REGRESSIONS.iterdir() if p.suffix in (".md", ".yaml"))
    assert any(p.suffix == ".md" for p in seeds) and any(p.suffix == ".yaml" for p in seeds), seeds
    for seed in seeds:
        rel = "content/pages/seed.md" if seed.suffix == ".md" else "config.yaml"
        assert_clean_outcome({rel: seed.read_bytes()})
        assert_commands_clean({rel: seed.read_bytes()})


def test_atheris_smoke() -> None:
    """The Atheris target runs (a few dozen inputs, fixed seed); long runs are for people."""
    import subprocess
    import sys

    target = Path(__file__).parent.parent / "fuzz" / "fuzz_build.py"
    done = subprocess.run([sys.executable, str(target), "-runs=60", "-seed=1"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Done 60 runs" in done.stderr
