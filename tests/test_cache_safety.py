"""`.explainer-cache/` is data, not code: nothing in it can run, and nothing in it can change a page.

Every test runs the real command (`python -m explainer build`, the default path with its
cache) and compares the site with a `--no-cache` build of the same project: a planted,
corrupt, truncated, altered, foreign or old cache must give exactly the same bytes, and
say in one line what it ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_project, run_cli
from explainer.cache.files import cache_key, seal

CACHE = ".explainer-cache"
NOTE = "explainer: note: "


def part(root: Path, table: str = "bodies") -> str:
    """The first file of a table kept in parts (`bodies/X.json`, `search/X.json`), as the notes name it."""
    found = sorted((root / CACHE / table).glob("*.json"))
    assert found, f"no {table} part in the cache"
    return f"{table}/{found[0].name}"


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class _Plant:
    """Unpickling this creates `path`: what a planted pickle could do on a build that loads it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def _build(root: Path, *args: str) -> tuple[int, str]:
    done = run_cli("build", "--root", str(root), *args)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stderr


@pytest.fixture()
def project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A project built once with its cache, and the tree a cold build gives."""
    root = make_project(tmp_path)
    code, err = _build(root, "--out", str(tmp_path / "cold"), "--no-cache")
    assert code == 0, err
    code, err = _build(root)
    assert code == 0, err
    assert part(root) and part(root, "search") and list((root / CACHE / "pages").glob("*.html"))
    return root, tree(tmp_path / "cold")


def _touch_input(root: Path) -> None:
    """Make the next build a real one (the unchanged-site record would otherwise skip it)."""
    path = root / "content" / "events" / "summit-2023.md"
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))


def test_a_planted_pickle_is_never_loaded(project: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    root, cold = project
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Plant(marker))
    pickle.loads(payload)  # prove the file would run code if loaded the old way
    assert marker.exists()
    marker.unlink()
    planted = [p.relative_to(root / CACHE).as_posix() for p in (root / CACHE).rglob("*.json")]
    assert len(planted) > 4
    for name in ("bodies.pickle", "site.pickle", "bodies.json", *planted):
        (root / CACHE / name).write_bytes(payload)
    code, err = _build(root)
    assert code == 0, err
    assert not marker.exists()
    assert tree(root / "site") == cold
    for name in planted:
        assert f"{NOTE}{CACHE}/{name}: not an explainer cache file; ignored, building afresh" in err.splitlines()


def _header_and_payload(path: Path) -> tuple[dict[str, object], bytes]:
    head, _, payload = path.read_bytes().partition(b"\n")
    return json.loads(head), payload


def _rewrite(path: Path, header: dict[str, object], payload: bytes) -> None:
    path.write_bytes(json.dumps(header, sort_keys=True).encode() + b"\n" + payload)


HOSTILE = b"<script>alert('cache')</script>"
SEAL_NOTE = ("{part}: does not match its seal (truncated, altered, or sealed with another cache key); "
             "ignored, building afresh")


def resealed(path: Path, header: dict[str, object], payload: bytes) -> dict[str, object]:
    """`header` with the seal a build with this user's key gives `payload` (what a forger
    without the key cannot compute)."""
    name = path.name if path.parent.name == CACHE else f"{path.parent.name}/{path.name}"
    return {**header, "seal": seal(cache_key(), header, name, payload)}


def _alter_payload(root: Path) -> None:
    path = root / CACHE / part(root)
    header, payload = _header_and_payload(path)
    data = json.loads(payload)
    for record in data.values():  # a body that says something else, checksum left as it was
        record["claims"] = [99, 99] if "claims" in record else record.get("claims")
        record["body"]["claims"] = [99, 0]
    _rewrite(path, header, json.dumps(data).encode())


def _truncate(root: Path) -> None:
    path = root / CACHE / part(root)
    head, _, payload = path.read_bytes().partition(b"\n")
    path.write_bytes(head + b"\n" + payload[: len(payload) // 2])  # the header whole, the records cut


def _other_version(root: Path) -> None:
    path = root / CACHE / part(root)
    header, payload = _header_and_payload(path)
    _rewrite(path, {**header, "code": "0" * 64}, payload)


def _alter_page(root: Path) -> None:
    for page in (root / CACHE / "pages").glob("*.html"):
        page.write_bytes(page.read_bytes().replace(b"</main>", HOSTILE + b"</main>"))
    shutil.rmtree(root / "site")  # else an unchanged page is linked from the last site, its cached copy never read


CASES = {
    "truncated": (_truncate, SEAL_NOTE),
    "altered": (_alter_payload, SEAL_NOTE),
    "other version": (_other_version, "{part}: written by another version of explainer; ignored, building afresh"),
    "altered page": (_alter_page, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_damaged_cache_gives_the_cold_site(project: tuple[Path, dict[str, str]], case: str) -> None:
    root, cold = project
    damage, note = CASES[case]
    damaged = part(root)
    damage(root)
    _touch_input(root)
    code, err = _build(root)
    assert code == 0, err
    assert tree(root / "site") == cold, case
    assert HOSTILE not in b"".join(p.read_bytes() for p in (root / "site").rglob("*.html"))
    if note is not None:
        assert f"{NOTE}{CACHE}/{note.format(part=damaged)}" in err.splitlines(), err
    else:
        notes = [line for line in err.splitlines() if line.startswith(NOTE)]
        assert notes and all(line.endswith("does not match its checksum; ignored, rendering the page afresh")
                             for line in notes), err


def test_a_cache_from_another_project_is_not_used(project: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    root, _ = project
    other = make_project(tmp_path / "other", {
        "content/actors/nato.md": "---\ntitle: NATO\nkind: organisation\n---\nSomething else entirely.[@guardian-2023]\n"})
    code, err = _build(other, "--out", str(tmp_path / "other-cold"), "--no-cache")
    assert code == 0, err
    shutil.copytree(root / CACHE, other / CACHE)
    code, err = _build(other)
    assert code == 0, err
    assert tree(other / "site") == tree(tmp_path / "other-cold")
    for name in (part(root), part(root, "search"), "pages.json"):
        assert f"{NOTE}{CACHE}/{name}: belongs to another project folder; ignored, building afresh" in err.splitlines()


@pytest.mark.parametrize("table", ["bodies", "search"])
def test_a_checksum_valid_file_of_another_shape_is_ignored(project: tuple[Path, dict[str, str]], table: str) -> None:
    root, cold = project
    for path in (root / CACHE / table).glob("*.json"):  # every key kept, every record of another shape
        header, payload = _header_and_payload(path)
        junk = [{"body": 1, "problems": None, "reads": []}, [1, 2], ["doc", "a b", "AAAA"], "x", None]
        data = {key: junk[n % len(junk)] for n, key in enumerate(json.loads(payload))}
        payload = json.dumps(data).encode()
        _rewrite(path, resealed(path, header, payload), payload)
    _touch_input(root)
    code, err = _build(root)
    assert code == 0, err
    assert tree(root / "site") == cold


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["bodies", "search", "pages.json", "site.json", "files.json"]),
       data=st.one_of(st.binary(max_size=300), st.builds(lambda v: json.dumps(v).encode(), st.recursive(
           st.none() | st.booleans() | st.integers() | st.text(max_size=20),
           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
           max_leaves=12))))
def test_fuzzed_cache_files_never_change_the_site(project: tuple[Path, dict[str, str]], name: str,
                                                  data: bytes) -> None:
    root, cold = project
    path = root / CACHE / (name if name.endswith(".json") else part(root, name))
    original = path.read_bytes()
    header, _ = _header_and_payload(path)
    for content in (data, json.dumps(resealed(path, header, data)).encode() + b"\n" + data):
        path.write_bytes(content)  # raw junk, then junk under a header whose seal matches it
        _touch_input(root)
        code, err = _build(root)
        assert code == 0, err
        assert tree(root / "site") == cold
    path.write_bytes(original)
