"""The SCuBA Entra ID check metadata (catalog/checks/scuba-aad.yaml) against the baseline, the
control catalogue, the implementations and the collection plan."""

from __future__ import annotations

from datetime import UTC, datetime

from remit.inventory.plan import phase_one
from remit.posture.catalog import CheckMeta, default_catalog
from remit.posture.checks import (
    all_checks,
    scuba_aad,
    scuba_aad_apps,
    scuba_aad_privileged,
    scuba_aad_settings,
)

AUTOMATED = [
    "1.1", "2.1", "2.3", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9",
    "5.1", "5.2", "5.3", "5.5", "5.6", "5.7", "6.1",
    "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "7.7", "7.8", "7.9", "8.1", "8.2",
]  # fmt: skip


def scuba_checks() -> list[CheckMeta]:
    return [m for m in default_catalog().checks if m.id.startswith("MS.AAD.")]


def test_one_check_per_automated_policy_and_no_other() -> None:
    assert [m.id for m in scuba_checks()] == [f"MS.AAD.{n}" for n in AUTOMATED]


def test_every_check_has_exactly_one_implementation_in_the_scuba_modules() -> None:
    implemented = {
        **scuba_aad.CHECKS,
        **scuba_aad_settings.CHECKS,
        **scuba_aad_apps.CHECKS,
        **scuba_aad_privileged.CHECKS,
    }
    assert set(implemented) == {m.id for m in scuba_checks()}
    assert all(all_checks()[check_id] is fn for check_id, fn in implemented.items())


def test_references_carry_the_versioned_policy_id_the_control_also_cites() -> None:
    catalog = default_catalog()
    for meta in scuba_checks():
        versioned = [r for r in meta.references if r.startswith(f"{meta.id}v")]
        assert len(versioned) == 1, meta.id
        control = catalog.control(meta.control)
        assert versioned[0] in control.references.scuba, (meta.id, meta.control)
        cis = {r.removeprefix("CIS ") for r in meta.references if r.startswith("CIS ")}
        assert cis <= set(control.references.cis), (meta.id, cis)
        assert any(r.startswith("https://learn.microsoft.com/") for r in meta.references)


def test_metadata_is_written_for_a_technician() -> None:
    for meta in scuba_checks():
        assert len(meta.rationale.split()) >= 25, meta.id
        assert "Entra admin center" in meta.remediation or "admin center" in meta.remediation
        assert meta.requires, meta.id


def test_every_required_key_is_collected() -> None:
    planned = {r.key for r in phase_one(datetime(2026, 11, 1, tzinfo=UTC))}
    required = {key for meta in scuba_checks() for key in meta.requires}
    assert "policies/defaultAppManagementPolicy" in required  # MS.AAD.5.5-5.7
    assert required - planned == set()
