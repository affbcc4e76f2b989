"""Rule matching and routing (pure): kinds, severity, tenants, quiet hours, several rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from remit.alerts.rules import parse_severity, route, rule_matches
from remit.domain import Severity
from remit.errors import InvalidInput
from remit.store.alerts import RuleInfo
from tests.alerts.conftest import CONTOSO_ID, FABRIKAM_ID, NOW, make_alert


def rule(
    name: str = "r",
    *,
    kinds: tuple[str, ...] = ("*",),
    severity: Severity = Severity.INFO,
    tenants: tuple[str, ...] | None = None,
    channels: tuple[str, ...] = ("hook",),
    dedupe: float = 24.0,
    quiet: str | None = None,
    timezone: str = "UTC",
) -> RuleInfo:
    return RuleInfo(1, name, kinds, severity, tenants, channels, dedupe, quiet, timezone, NOW)


def test_kind_patterns_are_fnmatch_patterns() -> None:
    drift = make_alert(kind="drift.unapproved-privileged")
    change = make_alert(kind="change.role-added")
    assert rule_matches(rule(kinds=("drift.*",)), drift)
    assert not rule_matches(rule(kinds=("drift.*",)), change)
    assert rule_matches(rule(kinds=("drift.*", "change.role-*")), change)
    assert not rule_matches(rule(kinds=("Drift.*",)), drift)  # case matters, as in the kinds


def test_minimum_severity() -> None:
    medium = make_alert(severity=Severity.MEDIUM)
    assert rule_matches(rule(severity=Severity.MEDIUM), medium)
    assert rule_matches(rule(severity=Severity.LOW), medium)
    assert not rule_matches(rule(severity=Severity.HIGH), medium)
    assert rule_matches(rule(severity=Severity.HIGH), make_alert(severity=Severity.CRITICAL))


def test_tenant_scope() -> None:
    contoso = make_alert(tenant_id=CONTOSO_ID)
    fabrikam = make_alert(tenant_id=FABRIKAM_ID, tenant_name="fabrikam")
    only_contoso = rule(tenants=(CONTOSO_ID,))
    assert rule_matches(only_contoso, contoso)
    assert not rule_matches(only_contoso, fabrikam)
    assert rule_matches(rule(tenants=None), fabrikam)


def test_quiet_hours_hold_non_critical_alerts_until_the_window_ends() -> None:
    night = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    quiet = rule(quiet="22:00-07:00")
    held = route([quiet], make_alert(severity=Severity.HIGH), night)["hook"]
    assert held.due == held.held_until == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    urgent = route([quiet], make_alert(severity=Severity.CRITICAL), night)["hook"]
    assert urgent.due == night
    assert urgent.held_until is None
    daytime = route([quiet], make_alert(), NOW)["hook"]
    assert (daytime.due, daytime.held_until) == (NOW, None)


def test_several_rules_to_one_channel_make_one_route() -> None:
    night = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    rules = [
        rule("quiet", quiet="22:00-07:00", dedupe=24, channels=("hook", "mail")),
        rule("loud", kinds=("drift.*",), dedupe=1, channels=("hook",)),
        rule("other", kinds=("change.*",), channels=("psa",)),
    ]
    routes = route(rules, make_alert(kind="drift.approval-expired"), night)
    assert set(routes) == {"hook", "mail"}
    hook = routes["hook"]
    assert hook.rules == ("quiet", "loud")
    assert (hook.due, hook.held_until) == (night, None)  # the loud rule sends it now
    assert hook.dedupe_hours == 1  # the shortest window
    assert routes["mail"].held_until == night.replace(hour=7) + timedelta(days=1)


def test_no_rule_no_route() -> None:
    assert route([rule(severity=Severity.CRITICAL)], make_alert(), NOW) == {}


def test_severity_names() -> None:
    assert parse_severity(" High ") is Severity.HIGH
    with pytest.raises(InvalidInput, match="use one of critical, high, medium, low, info"):
        parse_severity("urgent")
