"""AlertStore on SQLite and PostgreSQL: channels with encrypted secrets, rules, the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from remit.domain import Alert, Severity
from remit.errors import AlreadyExists, InvalidInput, NotFound, SecretsError
from remit.store import SecretBox, TenantInfo, TenantRepository
from remit.store.alerts import AlertStore, DeliveryStatus
from remit.store.models_alerts import AlertChannel

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def alert(tenant: TenantInfo, key: str = "k") -> Alert:
    return Alert(
        kind="drift.unapproved-privileged",
        severity=Severity.HIGH,
        tenant_id=tenant.tenant_id,
        tenant_name=tenant.name,
        title="Unapproved Global Administrator",
        text="alice holds Global Administrator",
        dedupe_key=key,
        occurred_at=NOW - timedelta(minutes=5),
        data={"principal": "alice"},
    )


def _empty(sessions: sessionmaker[Session]) -> None:
    """The PostgreSQL database is shared by a test process's tests, and only tenants' rows are
    emptied between tests: channels and rules belong to the workspace."""
    with sessions.begin() as session:
        for table in ("alert_deliveries", "alerts", "alert_rule_channels", "alert_rules"):
            session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names
        session.execute(text("DELETE FROM alert_channels"))


@pytest.fixture
def store_with_channel(
    sessions: sessionmaker[Session], box: SecretBox
) -> Iterator[sessionmaker[Session]]:
    _empty(sessions)
    with sessions.begin() as session:
        AlertStore(session, box).add_channel(
            "hook", "webhook", {"url": "https://receiver.example/h"}, "hmac-key-0123456789"
        )
    yield sessions
    _empty(sessions)


def queue(
    sessions: sessionmaker[Session], box: SecretBox, tenant: TenantInfo, key: str, due: datetime
) -> int:
    with sessions.begin() as session:
        store = AlertStore(session, box)
        alert_id = store.add_alert(alert(tenant, key), data={"principal": "alice"}, now=NOW)
        return store.add_delivery(
            alert_id,
            store.channel("hook"),
            rules=["drift"],
            dedupe_key=key,
            due=due,
            held_until=None,
            now=NOW,
        )


def test_channel_secrets_are_encrypted_and_bound_to_the_channel(
    store_with_channel: sessionmaker[Session], box: SecretBox
) -> None:
    with store_with_channel.begin() as session:
        store = AlertStore(session, box)
        info = store.channel("HOOK")
        assert store.secret(info) == "hmac-key-0123456789"
        assert info.secret_fingerprint == box.fingerprint("hmac-key-0123456789")
        row = session.scalars(select(AlertChannel)).one()
        assert row.secret_ciphertext is not None
        assert b"hmac-key" not in row.secret_ciphertext
        # Another channel's ciphertext moved into this row does not decrypt.
        other = store.add_channel("other", "slack", {}, "https://hooks.slack.com/x")
        stolen = session.scalars(select(AlertChannel).where(AlertChannel.name == "other")).one()
        stolen.secret_ciphertext = row.secret_ciphertext
        with pytest.raises(SecretsError, match="alert channel 'other'"):
            store.secret(other)
        with pytest.raises(AlreadyExists):
            store.add_channel("hook", "webhook", {"url": "https://x.example"}, "k" * 20)
        with pytest.raises(InvalidInput, match="channel name 'Bad Name!'"):
            store.add_channel("Bad Name!", "webhook", {}, None)
        assert [c.name for c in store.channels()] == ["hook", "other"]
        with pytest.raises(NotFound, match="no alert channel 'nope'"):
            store.channel("nope")


def test_rules_name_their_channels_and_protect_them(
    store_with_channel: sessionmaker[Session], box: SecretBox
) -> None:
    with store_with_channel.begin() as session:
        store = AlertStore(session, box)
        rule = store.add_rule(
            "drift",
            kinds=["drift.*", "drift.*"],
            min_severity=Severity.MEDIUM,
            tenants=None,
            channels=["hook", "hook"],
            dedupe_hours=24,
            quiet_hours="22:00-07:00",
            timezone="Europe/London",
        )
        assert (rule.kinds, rule.channels, rule.min_severity) == (
            ("drift.*",),
            ("hook",),
            Severity.MEDIUM,
        )
        with pytest.raises(NotFound, match="no alert channel 'mail'"):
            store.add_rule(
                "x", kinds=["*"], min_severity=Severity.INFO, tenants=None, channels=["mail"],
                dedupe_hours=1, quiet_hours=None, timezone="UTC",
            )  # fmt: skip
        with pytest.raises(InvalidInput, match="used by the rule\\(s\\) drift"):
            store.remove_channel("hook")
        assert store.remove_rule("drift").name == "drift"
        assert store.rules() == []
        info, orphaned = store.remove_channel("hook")
        assert (info.name, orphaned) == ("hook", 0)


def test_claiming_leases_and_outcomes(
    store_with_channel: sessionmaker[Session],
    box: SecretBox,
    two_tenants: tuple[TenantInfo, TenantInfo],
) -> None:
    contoso, _ = two_tenants
    first = queue(store_with_channel, box, contoso, "a", NOW)
    second = queue(store_with_channel, box, contoso, "b", NOW)
    later = queue(store_with_channel, box, contoso, "c", NOW + timedelta(hours=1))
    with store_with_channel.begin() as session:
        claimed = AlertStore(session, box).claim_due(NOW, lease=LEASE, limit=10)
    assert [d.id for d in claimed] == [first, second]  # the later one is not due
    assert claimed[0].alert.tenant_id == contoso.tenant_id
    assert claimed[0].alert.data == {"principal": "alice"}
    with store_with_channel.begin() as session:
        store = AlertStore(session, box)
        assert store.claim_due(NOW, lease=LEASE, limit=10) == []  # leased
        store.mark_sent(first, at=NOW, ticket_id="T-1")
        store.mark_retry(second, at=NOW, next_attempt_at=NOW + timedelta(minutes=1), error="503")
    with store_with_channel.begin() as session:
        store = AlertStore(session, box)
        sent = store.delivery(first)
        assert (sent.status, sent.attempts, sent.ticket_id, sent.alert.ticket_id) == (
            DeliveryStatus.SENT,
            1,
            "T-1",
            "T-1",
        )
        retried = store.claim_due(NOW + timedelta(minutes=1), lease=LEASE, limit=10)
        assert [(d.id, d.attempts, d.last_error) for d in retried] == [(second, 1, "503")]
        store.mark_failed(second, at=NOW, error="gave up", attempted=True)
        assert store.routed_since("a", "hook", NOW) is True
        assert store.routed_since("b", "hook", NOW) is False  # failed rows do not count
        listed = store.deliveries(status=DeliveryStatus.PENDING)
        assert [d.id for d in listed] == [later]
        assert store.requeue(None, now=NOW) == 1
        assert store.delivery(second).status is DeliveryStatus.PENDING
        with pytest.raises(InvalidInput, match="is sent, not failed"):
            store.requeue([first], now=NOW)


def test_alerts_go_with_their_tenant(
    store_with_channel: sessionmaker[Session],
    box: SecretBox,
    two_tenants: tuple[TenantInfo, TenantInfo],
) -> None:
    contoso, fabrikam = two_tenants
    queue(store_with_channel, box, contoso, "a", NOW)
    queue(store_with_channel, box, fabrikam, "b", NOW)
    with store_with_channel.begin() as session:
        assert [d.alert.dedupe_key for d in AlertStore(session, box).deliveries(
            tenant_id=fabrikam.tenant_id
        )] == ["b"]  # fmt: skip
        TenantRepository(session, box).remove(contoso)
    with store_with_channel.begin() as session:
        left = AlertStore(session, box).deliveries()
    assert [d.alert.tenant_name for d in left] == ["fabrikam"]


def test_removing_a_channel_fails_its_pending_deliveries(
    store_with_channel: sessionmaker[Session],
    box: SecretBox,
    two_tenants: tuple[TenantInfo, TenantInfo],
) -> None:
    delivery = queue(store_with_channel, box, two_tenants[0], "a", NOW)
    with store_with_channel.begin() as session:
        _, orphaned = AlertStore(session, box).remove_channel("hook")
    assert orphaned == 1
    with store_with_channel.begin() as session:
        store = AlertStore(session, box)
        kept = store.delivery(delivery)
        assert (kept.status, kept.channel) == (DeliveryStatus.FAILED, "hook")
        with pytest.raises(InvalidInput, match="was removed; it cannot be retried"):
            store.requeue([delivery], now=NOW)
        assert store.requeue(None, now=NOW) == 0
