"""dispatch(): rules pick channels, windows drop duplicates, quiet hours hold, all in one go."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from remit.alerts import dispatch
from remit.alerts.channels import ChannelType
from remit.alerts.manage import add_channel, add_rule, list_deliveries
from remit.domain import Severity
from remit.errors import InvalidInput
from remit.store.alerts import DeliveryStatus
from remit.store.models_alerts import AlertDelivery, AlertRecord
from remit.store.tenants import TenantInfo
from remit.workspace import Workspace
from tests.alerts.conftest import FABRIKAM_ID, HMAC_KEY, NOW, make_alert


def hook(workspace: Workspace, name: str = "hook") -> None:
    add_channel(
        workspace, name, ChannelType.WEBHOOK, {"url": f"http://127.0.0.1:9/{name}"}, HMAC_KEY
    )


def counts(workspace: Workspace) -> tuple[int, int]:
    with workspace.session(write=False) as session:
        alerts = session.scalar(select(func.count()).select_from(AlertRecord))
        deliveries = session.scalar(select(func.count()).select_from(AlertDelivery))
    return int(alerts or 0), int(deliveries or 0)


@pytest.fixture
def routed(workspace: Workspace, tenants: tuple[TenantInfo, TenantInfo]) -> Workspace:
    """Drift of any severity to `hook`; high change events of contoso to `hook` and `psa`."""
    hook(workspace)
    hook(workspace, "psa")
    add_rule(workspace, "drift", kinds=["drift.*"], channels=["hook"])
    add_rule(
        workspace,
        "changes",
        kinds=["change.*"],
        min_severity=Severity.HIGH,
        tenants=["contoso"],
        channels=["hook", "psa"],
    )
    return workspace


def test_each_alert_goes_to_the_channels_of_its_rules(routed: Workspace) -> None:
    report = dispatch(
        routed,
        [
            make_alert(key="a"),
            make_alert(kind="change.role-added", key="b"),
            make_alert(kind="change.role-added", key="c", severity=Severity.LOW),
            make_alert(kind="change.role-added", key="d", tenant_id=FABRIKAM_ID),
            make_alert(kind="posture.fail", key="e"),
        ],
        now=NOW,
    )
    assert sorted(q.channel for q in report.queued) == ["hook", "hook", "psa"]
    assert (report.alerts, report.stored_alerts, report.unrouted) == (5, 2, 3)
    pending = list_deliveries(routed, status=DeliveryStatus.PENDING)
    assert {(d.alert.dedupe_key, d.channel) for d in pending} == {
        ("a", "hook"),
        ("b", "hook"),
        ("b", "psa"),
    }
    first = next(d for d in pending if d.alert.dedupe_key == "a")
    assert first.rules == ("drift",)
    assert first.next_attempt_at == NOW
    assert first.attempts == 0
    assert first.alert.data == {"principal": "alice@contoso.com", "role": "GA"}
    assert counts(routed) == (2, 3)


def test_the_same_key_within_the_window_is_sent_once(routed: Workspace) -> None:
    assert len(dispatch(routed, [make_alert(key="k")], now=NOW).queued) == 1
    again = dispatch(routed, [make_alert(key="k")], now=NOW + timedelta(hours=23))
    assert (len(again.queued), again.duplicates) == (0, 1)
    later = dispatch(routed, [make_alert(key="k")], now=NOW + timedelta(hours=24, seconds=1))
    assert len(later.queued) == 1
    # Within one batch too.
    batch = dispatch(routed, [make_alert(key="x"), make_alert(key="x")], now=NOW)
    assert (len(batch.queued), batch.duplicates) == (1, 1)


def test_a_failed_delivery_does_not_hold_back_the_next_alert(routed: Workspace) -> None:
    dispatch(routed, [make_alert(key="k")], now=NOW)
    with routed.session() as session:
        session.execute(update(AlertDelivery).values(status="failed"))
    assert len(dispatch(routed, [make_alert(key="k")], now=NOW + timedelta(hours=1)).queued) == 1


def test_dedupe_window_zero_sends_every_time(workspace: Workspace) -> None:
    hook(workspace)
    add_rule(workspace, "all", channels=["hook"], dedupe_hours=0)
    report = dispatch(workspace, [make_alert(key="k"), make_alert(key="k")], now=NOW)
    assert len(report.queued) == 2


def test_quiet_hours_hold_all_but_critical(workspace: Workspace) -> None:
    hook(workspace)
    add_rule(workspace, "night", channels=["hook"], quiet_hours="22:00-07:00", timezone="UTC")
    night = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    report = dispatch(
        workspace,
        [make_alert(key="high"), make_alert(key="crit", severity=Severity.CRITICAL)],
        now=night,
    )
    by_key = {d.alert.dedupe_key: d for d in list_deliveries(workspace)}
    morning = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert by_key["high"].next_attempt_at == by_key["high"].held_until == morning
    assert by_key["crit"].next_attempt_at == night
    assert by_key["crit"].held_until is None
    assert report.held == 1


def test_a_bad_alert_refuses_the_whole_batch(routed: Workspace) -> None:
    naive = make_alert(key="naive", occurred_at=datetime(2026, 1, 1))
    with pytest.raises(InvalidInput, match="occurred_at has no time zone"):
        dispatch(routed, [make_alert(key="fine"), naive], now=NOW)
    with pytest.raises(InvalidInput, match="dedupe_key"):
        dispatch(routed, [make_alert(key="")], now=NOW)
    assert counts(routed) == (0, 0)


def test_a_database_failure_mid_batch_writes_nothing(
    routed: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from remit.store.alerts import AlertStore

    original = AlertStore.add_delivery
    calls = 0

    def failing(self: AlertStore, *args: object, **kwargs: object) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk full")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AlertStore, "add_delivery", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        dispatch(routed, [make_alert(key="a"), make_alert(key="b")], now=NOW)
    assert counts(routed) == (0, 0)


def test_alerts_of_unknown_tenants_are_kept_and_data_made_json(workspace: Workspace) -> None:
    hook(workspace)
    add_rule(workspace, "all", channels=["hook"])
    odd = replace(
        make_alert(tenant_id="33333333-3333-4333-8333-333333333333", tenant_name="gone"),
        data={"when": NOW, "ids": ("a", "b")},
    )
    dispatch(workspace, [odd], now=NOW)
    (delivery,) = list_deliveries(workspace)
    assert delivery.alert.tenant_name == "gone"
    assert delivery.alert.data == {"when": str(NOW), "ids": ["a", "b"]}
