"""`--json` output has the documented shape, and the published JSON Schemas are current."""

from __future__ import annotations

from pathlib import Path

import pytest

from remit.cli import schemas
from remit.cli.schemas_repo import REPO_OUTPUTS
from remit.emulator.model import TenantSpec
from tests.cli.runner import Cli, add_args, json_of

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "reference" / "schemas"


@pytest.mark.parametrize("name", sorted(schemas.OUTPUTS))
def test_the_published_schema_is_generated_from_the_types(name: str) -> None:
    published = SCHEMA_DIR / f"{name}.schema.json"
    assert published.read_text(encoding="utf-8") == schemas.render(name), (
        f"{published} is out of date: run `make schemas`"
    )


def test_no_stale_schema_files() -> None:
    assert {p.name for p in SCHEMA_DIR.glob("*.schema.json")} == {
        f"{name}.schema.json" for name in schemas.OUTPUTS
    }


def test_every_json_output_validates_against_its_type(added: Cli, tmp_path: Path) -> None:
    outputs = {}
    outputs["inventory-collect"] = json_of(added("inventory", "collect", "--all", "--json"))
    outputs["inventory-list"] = json_of(added.ok("inventory", "list", "-t", "contoso", "--json"))
    outputs["tenant-list"] = json_of(added.ok("tenant", "list", "--json"))
    outputs["tenant-show"] = json_of(added.ok("tenant", "show", "contoso", "--json"))
    outputs["tenant-test"] = json_of(added.ok("tenant", "test", "contoso", "--json"))
    outputs["assess"] = json_of(added.ok("assess", "--all", "--format", "json"))
    added.ok("assess", "-t", "contoso", "--max-age", "0")
    outputs["assess-history"] = json_of(added.ok("assess", "history", "-t", "contoso", "--json"))
    outputs["assess-diff"] = json_of(added.ok("assess", "diff", "-t", "contoso", "--json"))
    fixture = tmp_path / "fixture.json"
    fixture.write_text(added.ok("inventory", "show", "latest", "-t", "contoso").out)
    outputs["assess-fixture"] = json_of(
        added.ok("assess", "--fixture", str(fixture), "--format", "json")
    )
    for name, document in outputs.items():
        schemas.validate(name, document)
    assert outputs["tenant-list"][0]["last_snapshot"]["status"] == "complete"
    assert outputs["tenant-test"]["missing"] == []
    untested = set(schemas.OUTPUTS) - set(outputs) - set(REPO_OUTPUTS)  # repo: own test file
    assert untested == {"init", "tenant-add"}  # tested below


def test_tenant_add_and_init_json_validate(
    ready: Cli, tenants: list[TenantSpec], tmp_path: Path
) -> None:
    schemas.validate("tenant-add", json_of(ready.ok(*add_args(tenants[1], "--json"))))
    schemas.validate("init", json_of(ready.ok("init", str(tmp_path / "other"), "--json")))


def test_a_document_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="status"):
        schemas.validate("inventory-list", [{"id": 1, "status": "mostly"}])
