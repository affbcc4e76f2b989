"""The hygiene and estate checks' metadata: one YAML entry per implemented check, and each
entry says why, how to fix it in an admin center, where to read more, and what it reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from remit.inventory.plan import phase_one
from remit.posture.catalog import CheckMeta, default_catalog
from remit.posture.checks import all_checks, estate, identity_hygiene, privileged_hygiene
from remit.posture.model import Severity

IMPLEMENTED = {**identity_hygiene.CHECKS, **privileged_hygiene.CHECKS, **estate.CHECKS}
AREAS = ("remit.mfa.", "remit.admins.", "remit.baseline.", "remit.score.", "remit.devices.",
         "remit.licences.", "remit.apps.")  # fmt: skip


def _metas() -> list[CheckMeta]:
    return [m for m in default_catalog().checks if m.id.startswith(AREAS)]


def test_every_implemented_check_has_metadata_and_the_other_way_round() -> None:
    assert {m.id for m in _metas()} == set(IMPLEMENTED)
    assert len(IMPLEMENTED) == 15
    for check_id, check in IMPLEMENTED.items():
        assert all_checks()[check_id] is check


@pytest.mark.parametrize("meta", _metas(), ids=lambda m: m.id)
def test_each_check_explains_itself(meta: CheckMeta) -> None:
    assert len(meta.rationale.split()) >= 40, "the rationale says why an MSP cares"
    remediation = meta.remediation
    assert any(where in remediation for where in ("admin center", "portal")), remediation
    assert ">" in remediation, "remediation gives a click path"
    assert any(ref.startswith("https://learn.microsoft.com/") for ref in meta.references)
    assert meta.requires, "what the check reads"


@pytest.mark.parametrize("meta", _metas(), ids=lambda m: m.id)
def test_required_keys_are_what_the_collection_reads(meta: CheckMeta) -> None:
    collected = {r.key for r in phase_one(datetime(2026, 11, 1, tzinfo=UTC))}
    assert set(meta.requires) <= collected


def test_takeover_paths_are_critical() -> None:
    severities = {m.id: m.severity for m in _metas()}
    assert severities["remit.baseline.security-defaults"] is Severity.CRITICAL
    assert severities["remit.mfa.registration-admins"] is Severity.CRITICAL
    assert severities["remit.licences.unassigned"] is Severity.LOW
