"""The shapes of `--json` output, as types, and the JSON Schemas generated from them.

`docs/reference/schemas/*.schema.json` are generated from these types
(`python -m remit.cli.schemas docs/reference/schemas`, or `make schemas`); a test checks that
the committed files are current and that real command output validates against the types.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import TypeAdapter
from typing_extensions import TypedDict  # pydantic needs it for TypedDicts before Python 3.12

from remit.cli.schemas_repo import REPO_COMMANDS, REPO_OUTPUTS
from remit.domain import SnapshotInfo
from remit.graph.permissions import ProbeResult
from remit.inventory.service import CollectionReport
from remit.store.assessments import RunInfo


class InitJson(TypedDict):
    workspace: str


class TenantJson(TypedDict):
    """A tenant as stored, without its secret (`tenant add --json`)."""

    name: str
    tenant_id: str
    display_name: str
    primary_domain: str | None
    client_id: str
    auth_kind: Literal["client_secret", "certificate"]
    secret_fingerprint: str
    created_at: datetime
    last_test_at: datetime | None
    last_test_result: dict[str, Any] | None


class TenantListEntry(TenantJson):
    last_snapshot: SnapshotInfo | None


class TenantShowJson(TenantJson):
    snapshots: list[SnapshotInfo]


class TenantRefJson(TypedDict):
    name: str
    tenant_id: str


class ResourceJson(TypedDict):
    type: str
    id: str
    name: str


class FindingJson(TypedDict):
    """One finding: the shape `remit assess --format json` and the API use."""

    check_id: str
    control_id: str
    title: str
    status: Literal["PASS", "FAIL", "WARN", "MANUAL", "NOT_APPLICABLE", "ERROR"]
    severity: Literal["critical", "high", "medium", "low", "info"]
    references: list[str]
    resources: list[ResourceJson]
    details: str
    remediation: str


class AssessJson(TypedDict):
    tenant: TenantRefJson
    run_id: int | None
    snapshot_id: int | None
    snapshot_taken_at: datetime | None
    evaluated_at: datetime
    score: float | None
    coverage: float
    counts: dict[str, int]
    error: str
    findings: list[FindingJson]


class AssessFixtureJson(TypedDict):
    fixture: str
    score: float | None
    coverage: float
    counts: dict[str, int]
    findings: list[FindingJson]


class ChangeJson(TypedDict):
    check_id: str
    title: str
    before: str | None
    after: str | None
    added: list[ResourceJson]
    removed: list[ResourceJson]


class AssessDiffJson(TypedDict):
    from_run: int
    to_run: int
    score_before: float | None
    score_after: float | None
    worse: list[ChangeJson]
    better: list[ChangeJson]
    other: list[ChangeJson]


class TenantTestJson(TypedDict):
    tenant_id: str
    name: str
    token_ok: bool
    probes: list[ProbeResult]
    tested_at: datetime
    missing: list[str]


OUTPUTS: dict[str, Any] = {
    "init": InitJson,
    "tenant-add": TenantJson,
    "tenant-list": list[TenantListEntry],
    "tenant-show": TenantShowJson,
    "tenant-test": TenantTestJson,
    "inventory-collect": list[CollectionReport],
    "inventory-list": list[SnapshotInfo],
    "assess": list[AssessJson],
    "assess-fixture": AssessFixtureJson,
    "assess-history": list[RunInfo],
    "assess-diff": AssessDiffJson,
    **REPO_OUTPUTS,
}


def json_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = TypeAdapter(OUTPUTS[name]).json_schema(mode="serialization")
    command = REPO_COMMANDS.get(name) or name.replace("-", " ")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"remit {command} --json"
    return schema


def render(name: str) -> str:
    return json.dumps(json_schema(name), indent=2, sort_keys=True) + "\n"


def validate(name: str, document: Any) -> None:
    """Raise pydantic's ValidationError when ``document`` does not have the documented shape."""
    TypeAdapter(OUTPUTS[name]).validate_python(document)


def main(argv: list[str]) -> None:
    folder = Path(argv[0]) if argv else Path("docs/reference/schemas")
    folder.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        (folder / f"{name}.schema.json").write_text(render(name), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
