"""alerts_for: kinds, severities, stable de-duplication keys, and what the text tells."""

from __future__ import annotations

from datetime import timedelta

from remit.domain import ChangeEvent, ChangeKind, DriftFinding, DriftRule, Resource, Severity
from remit.governance.events import Change
from remit.monitoring.alerts import alerts_for
from remit.monitoring.tenants import TenantName
from remit.store.events import StoredEvent
from tests.monitoring.builders import NOW, TENANT_ID

CONTOSO = TenantName("contoso", TENANT_ID)
EVE = Resource("user", "u-eve", "eve@contoso.example")


def finding(rule: DriftRule = DriftRule.UNAPPROVED_PRIVILEGED, **extra: object) -> DriftFinding:
    values: dict[str, object] = {
        "rule": rule,
        "tenant_id": TENANT_ID,
        "principal": EVE,
        "role": "Global Administrator",
        "since": NOW - timedelta(days=1),
        "details": "eve@contoso.example holds Global Administrator (active, permanent)",
        "severity": Severity.CRITICAL,
    } | extra
    return DriftFinding(**values)  # type: ignore[arg-type]


def event(
    kind: ChangeKind = ChangeKind.ROLE_ADDED, actor: str = "tech@contoso.example"
) -> ChangeEvent:
    return ChangeEvent(
        key="audit:Directory_1",
        tenant_id=TENANT_ID,
        kind=kind,
        occurred_at=NOW - timedelta(hours=2),
        actor=actor,
        target=EVE,
        details="eve@contoso.example added to Global Administrator (active)",
        source="audit-log",
    )


def test_a_finding_alert() -> None:
    [alert] = alerts_for([finding()], [], CONTOSO, now=NOW)
    assert alert.kind == "drift.unapproved-privileged"
    assert alert.severity is Severity.CRITICAL
    assert (alert.tenant_id, alert.tenant_name) == (TENANT_ID, "contoso")
    assert alert.title == "Unapproved Global Administrator: eve@contoso.example"
    assert "holds Global Administrator" in alert.text
    assert "Since: " in alert.text
    assert alert.occurred_at == NOW
    assert alert.dedupe_key == f"{TENANT_ID}:drift.unapproved-privileged:u-eve:Global Administrator"
    assert alert.data["principal"] == {"type": "user", "id": "u-eve", "name": "eve@contoso.example"}
    # The same standing drift tomorrow has the same key: one alert within the rule's window.
    [later] = alerts_for(
        [finding(details="changed words")], [], CONTOSO, now=NOW + timedelta(days=1)
    )
    assert later.dedupe_key == alert.dedupe_key


def test_findings_about_the_set_of_emergency_accounts() -> None:
    tenant_wide = finding(
        DriftRule.EMERGENCY_ACCOUNTS,
        principal=Resource("tenant", TENANT_ID, "emergency accounts"),
        role="",
        since=None,
        severity=Severity.HIGH,
        details="no emergency accounts are designated",
    )
    [alert] = alerts_for([tenant_wide], [], CONTOSO, now=NOW)
    assert alert.kind == "drift.emergency-accounts"
    assert alert.title == "Emergency accounts: no emergency accounts are designated"
    assert "Since" not in alert.text


def test_change_alerts_from_changes_stored_events_and_bare_events() -> None:
    change = Change(event(), "m", Severity.CRITICAL, role="Global Administrator")
    stored = StoredEvent(7, event(ChangeKind.CA_DISABLED, actor=""), Severity.HIGH, "", NOW)
    bare = event(ChangeKind.MFA_REMOVED)
    alerts = alerts_for([], [change, stored, bare], CONTOSO)
    assert [a.kind for a in alerts] == [
        "change.role-added",
        "change.ca-disabled",
        "change.mfa-removed",
    ]
    assert [a.severity for a in alerts] == [Severity.CRITICAL, Severity.HIGH, Severity.HIGH]
    first = alerts[0]
    assert first.title == "Role added: eve@contoso.example"
    assert first.dedupe_key == f"{TENANT_ID}:change:audit:Directory_1"
    assert first.occurred_at == NOW - timedelta(hours=2)
    assert "By: tech@contoso.example" in first.text
    assert "No change ticket explains it yet." in first.text
    assert first.data["role"] == "Global Administrator"
    assert "the audit log did not say who" in alerts[1].text


def test_findings_come_first() -> None:
    alerts = alerts_for([finding()], [event()], CONTOSO, now=NOW)
    assert [a.kind.split(".")[0] for a in alerts] == ["drift", "change"]
