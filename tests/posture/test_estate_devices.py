"""Intune devices: not compliant, not encrypted, not checking in. 10% or more is a FAIL, any
device below that a WARN; no devices NOT_APPLICABLE; no Intune licence an ERROR."""

from __future__ import annotations

import pytest

from remit.graph.errors import INTUNE
from remit.posture.model import Status
from tests.posture.hygiene_fixtures import (
    Json,
    device,
    devices,
    licence_refused,
    names,
    only,
    run,
)

NON_COMPLIANT = "remit.devices.non-compliant"
UNENCRYPTED = "remit.devices.unencrypted"
STALE = "remit.devices.stale"
ALL = (NON_COMPLIANT, UNENCRYPTED, STALE)


def _fleet(count: int, *odd: Json) -> list[Json]:
    return [device(f"LAPTOP-{n:03}") for n in range(count - len(odd))] + list(odd)


@pytest.mark.parametrize("check_id", ALL)
def test_pass_when_every_device_is_fine(check_id: str) -> None:
    outcome = run(check_id, only(devices(*_fleet(5))))
    assert outcome.status is Status.PASS
    assert outcome.details.startswith("All 5 managed devices ")
    assert outcome.resources == ()


@pytest.mark.parametrize("check_id", ALL)
def test_not_applicable_without_devices(check_id: str) -> None:
    outcome = run(check_id, only(devices()))
    assert outcome.status is Status.NOT_APPLICABLE
    assert outcome.details == "No device is enrolled in Intune."


@pytest.mark.parametrize("check_id", ALL)
def test_error_without_an_intune_licence(check_id: str) -> None:
    outcome = run(check_id, only({}, licence_refused("deviceManagement/managedDevices", INTUNE)))
    assert outcome.status is Status.ERROR
    assert outcome.details == (
        "the tenant has no Microsoft Intune licence (needed for deviceManagement/managedDevices)"
    )


def test_non_compliant_fails_at_10_percent() -> None:
    fleet = _fleet(10, device("BAD-1", state="noncompliant"), device("BAD-2", state="error"))
    outcome = run(NON_COMPLIANT, only(devices(*fleet)))
    assert outcome.status is Status.FAIL
    assert outcome.details.startswith("2 of 10 managed devices (20%) are not compliant")
    assert names(outcome) == ["BAD-1", "BAD-2"]
    assert {r.type for r in outcome.resources} == {"device"}


def test_non_compliant_warns_below_10_percent_and_for_grace_periods() -> None:
    fleet = _fleet(20, device("BAD-1", state="conflict"), device("GRACE-1", state="inGracePeriod"))
    outcome = run(NON_COMPLIANT, only(devices(*fleet)))
    assert outcome.status is Status.WARN
    assert "1 of 20 managed devices (5%) are not compliant" in outcome.details
    assert "1 device are non-compliant within their grace period: GRACE-1" in outcome.details
    assert names(outcome) == ["BAD-1", "GRACE-1"]


def test_only_grace_periods_are_a_warning() -> None:
    outcome = run(NON_COMPLIANT, only(devices(*_fleet(3, device("G", state="inGracePeriod")))))
    assert outcome.status is Status.WARN


def test_unencrypted_names_device_and_user() -> None:
    outcome = run(UNENCRYPTED, only(devices(*_fleet(4, device("MAC-1", encrypted=False)))))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "1 of 4 managed devices (25%) are not encrypted: MAC-1 (mac-1@contoso.com)."
    )


def test_unencrypted_warns_below_10_percent() -> None:
    fleet = _fleet(11, device("MAC-1", encrypted=False))
    assert run(UNENCRYPTED, only(devices(*fleet))).status is Status.WARN


def test_stale_after_30_days_with_the_last_check_in() -> None:
    fleet = _fleet(
        30,
        device("OLD-1", synced_days_ago=31),
        device("NEVER", synced_days_ago=None),
        device("RECENT", synced_days_ago=29),
    )
    outcome = run(STALE, only(devices(*fleet)))
    assert outcome.status is Status.WARN
    assert "2 of 30 managed devices (7%) have not checked in for 30 days" in outcome.details
    assert "OLD-1 (old-1@contoso.com), last check-in 2026-10-01" in outcome.details
    assert "NEVER (never@contoso.com), never checked in" in outcome.details
    assert names(outcome) == ["NEVER", "OLD-1"]


def test_stale_fails_at_10_percent() -> None:
    outcome = run(STALE, only(devices(*_fleet(5, device("OLD", synced_days_ago=90)))))
    assert outcome.status is Status.FAIL
