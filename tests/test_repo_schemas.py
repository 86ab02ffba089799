"""The repository ships its editor schemas in schemas/; they must match what `explainer schema` writes."""

from __future__ import annotations

from pathlib import Path

from explainer.jsonschema_export import write_schemas

REPO = Path(__file__).resolve().parent.parent


def test_committed_schemas_are_up_to_date(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)
    assert written, "explainer schema wrote nothing"
    committed = sorted(p.name for p in (REPO / "schemas").glob("*.json"))
    assert committed == sorted(p.name for p in written)
    for path in written:
        assert (REPO / "schemas" / path.name).read_bytes() == path.read_bytes(), (
            f"schemas/{path.name} is stale: run 'explainer schema' and commit the result")
