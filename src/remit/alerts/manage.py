"""Managing alerting: channels and rules, testing a channel, listing and re-queuing deliveries.

The CLI (and later the web API) call these; each is one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session

from remit.alerts.channels import (
    ChannelTestFailed,
    ChannelType,
    DeliveryError,
    Outgoing,
    Sent,
    load_config,
    open_channel,
    validate,
)
from remit.alerts.quiet import QuietWindow, parse_timezone
from remit.alerts.rules import DEFAULT_DEDUPE_HOURS
from remit.domain import Alert, Severity
from remit.errors import InvalidInput
from remit.store.alerts import (
    AlertStore,
    ChannelInfo,
    DeliveryInfo,
    DeliveryStatus,
    RuleInfo,
    normalize_name,
)
from remit.store.tenants import TenantInfo
from remit.workspace import Workspace

MAX_DEDUPE_HOURS = 24 * 90


@dataclass(frozen=True, slots=True)
class ChannelView:
    """A channel as shown to a technician: where it sends, never its secret."""

    info: ChannelInfo
    target: str


# --- channels ------------------------------------------------------------------------------


def add_channel(
    workspace: Workspace,
    name: str,
    kind: ChannelType,
    options: Mapping[str, Any],
    secret: str | None,
) -> ChannelView:
    """Validate and store a channel; its secret is encrypted with the workspace key.

    ``options`` are the type's configuration fields; ``tenant_company`` keys may name tenants by
    handle, id or domain (they are stored as tenant ids).
    """
    normalize_name(name, what="channel")
    if secret is not None and not secret.strip():
        raise InvalidInput("the secret is empty; check the file, stdin or $REMIT_CHANNEL_SECRET")
    with workspace.session() as session:
        values = dict(options)
        if values.get("tenant_company"):
            tenants = workspace.tenants(session)
            values["tenant_company"] = {
                tenants.get(ref).tenant_id: company
                for ref, company in dict(values["tenant_company"]).items()
            }
        config = validate(kind, values, secret)
        stored = workspace_store(workspace, session).add_channel(
            name, kind.value, config.model_dump(mode="json"), secret
        )
        return ChannelView(stored, config.target())


def list_channels(workspace: Workspace) -> list[ChannelView]:
    with workspace.session(write=False) as session:
        channels = workspace_store(workspace, session).channels()
    return [ChannelView(c, load_config(c.type, c.config).target()) for c in channels]


def remove_channel(workspace: Workspace, name: str) -> tuple[ChannelInfo, int]:
    """Remove a channel no rule uses; returns it and how many pending deliveries it failed."""
    with workspace.session() as session:
        return workspace_store(workspace, session).remove_channel(name)


def make_test_alert(tenant: TenantInfo | None, now: datetime) -> Alert:
    return Alert(
        kind="test",
        severity=Severity.INFO,
        tenant_id=tenant.tenant_id if tenant else "",
        tenant_name=tenant.name if tenant else "",
        title="Test alert from Remit",
        text="If you can read this, Remit's alerts reach this channel. Nothing happened in a "
        "tenant.",
        dedupe_key=f"test:{uuid.uuid4()}",
        occurred_at=now,
    )


async def send_test_alert(
    workspace: Workspace,
    name: str,
    *,
    tenant: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[ChannelInfo, Sent]:
    """Send a test alert to a channel now (not through the outbox); PSA channels create a
    ticket. ``tenant`` makes it that tenant's alert (to check a PSA's --tenant-company)."""
    with workspace.session(write=False) as session:
        store = workspace_store(workspace, session)
        info = store.channel(name)
        secret = store.secret(info)
        owner = workspace.tenants(session).get(tenant) if tenant else None
    message = Outgoing(make_test_alert(owner, datetime.now(UTC)), str(uuid.uuid4()), 1, test=True)
    try:
        async with open_channel(info.type, info.config, secret, transport=transport) as adapter:
            sent = await adapter.send(message)
    except DeliveryError as exc:
        later = "; it may work later" if exc.retryable else ""
        raise ChannelTestFailed(
            f"channel '{info.name}' did not take the test alert: {exc}{later}"
        ) from None
    return info, sent


# --- rules ---------------------------------------------------------------------------------


def add_rule(
    workspace: Workspace,
    name: str,
    *,
    channels: Sequence[str],
    kinds: Sequence[str] = ("*",),
    min_severity: Severity = Severity.INFO,
    tenants: Sequence[str] | None = None,
    dedupe_hours: float = DEFAULT_DEDUPE_HOURS,
    quiet_hours: str | None = None,
    timezone: str = "UTC",
) -> RuleInfo:
    """Store a rule. ``tenants`` name tenants by handle, id or domain (None or empty: all)."""
    zone = parse_timezone(timezone)
    window = QuietWindow.parse(quiet_hours, timezone) if quiet_hours else None
    patterns = [k.strip() for k in kinds if k.strip()] or ["*"]
    if not 0 <= dedupe_hours <= MAX_DEDUPE_HOURS:
        raise InvalidInput(
            f"--dedupe-hours {dedupe_hours:g}: give 0 (no de-duplication) to {MAX_DEDUPE_HOURS}"
        )
    with workspace.session() as session:
        scope = None
        if tenants:
            repo = workspace.tenants(session)
            scope = [repo.get(ref).tenant_id for ref in tenants]
        return workspace_store(workspace, session).add_rule(
            name,
            kinds=patterns,
            min_severity=min_severity,
            tenants=scope,
            channels=channels,
            dedupe_hours=dedupe_hours,
            quiet_hours=None if window is None else str(window),
            timezone=zone.key,
        )


def list_rules(workspace: Workspace) -> list[RuleInfo]:
    with workspace.session(write=False) as session:
        return workspace_store(workspace, session).rules()


def remove_rule(workspace: Workspace, name: str) -> RuleInfo:
    with workspace.session() as session:
        return workspace_store(workspace, session).remove_rule(name)


def tenant_names(workspace: Workspace) -> dict[str, str]:
    """Tenant id -> handle, for showing rule scopes."""
    with workspace.session(write=False) as session:
        return {t.tenant_id: t.name for t in workspace.tenants(session).list()}


# --- deliveries ----------------------------------------------------------------------------


def list_deliveries(
    workspace: Workspace,
    *,
    status: DeliveryStatus | None = None,
    tenant: str | None = None,
    limit: int = 100,
) -> list[DeliveryInfo]:
    """Deliveries, newest first; ``tenant`` by handle, id or domain."""
    if limit < 1:
        raise InvalidInput(f"--limit {limit}: give at least 1")
    with workspace.session(write=False) as session:
        tenant_id = workspace.tenants(session).get(tenant).tenant_id if tenant else None
        return workspace_store(workspace, session).deliveries(
            status=status, tenant_id=tenant_id, limit=limit
        )


def requeue(workspace: Workspace, delivery_ids: Sequence[int] | None) -> int:
    """Make failed deliveries pending again (all of them with ``None``); returns how many."""
    with workspace.session() as session:
        return workspace_store(workspace, session).requeue(delivery_ids, now=datetime.now(UTC))


def workspace_store(workspace: Workspace, session: Session) -> AlertStore:
    return AlertStore(session, workspace.secrets)
