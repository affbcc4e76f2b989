"""Deliver: send what is due in the outbox, retry what failed, never lose an alert.

:func:`deliver` claims the due rows (a lease: a sender that dies mid-way leaves them due again
after ``RetryPolicy.lease``), sends them, one channel after another row by row but several
channels at once (bounded by ``RetryPolicy.concurrency``), and records each outcome in its own
transaction as soon as it is known:

- sent: marked sent, with the PSA ticket id when the channel made a ticket;
- a retryable failure (5xx, 408, 429, timeouts, connection errors, 4xx SMTP replies): the attempt
  is counted and the next one scheduled with exponential back-off and jitter (at least the
  receiver's Retry-After). The channel's other rows are not tried in this run (the channel is
  failing): they wait until the same time, without an attempt counted, so while a channel is
  down only its oldest alert is tried each time. After ``max_attempts`` a row is marked failed;
- a permanent failure (other 4xx, bad credentials, no PSA company for the tenant): marked failed
  at once.

Failed rows are kept and listed (`remit alerts list --status failed`) and can be sent again
(`remit alerts retry`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby

import httpx

from remit.alerts.channels import DeliveryError, Outgoing, open_channel
from remit.errors import InvalidInput
from remit.store.alerts import AlertStore, ChannelInfo, DeliveryInfo, DeliveryStatus
from remit.workspace import Workspace


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 10
    base_delay: timedelta = timedelta(minutes=1)  # the first retry's step; doubles each time
    max_delay: timedelta = timedelta(hours=6)
    lease: timedelta = timedelta(minutes=10)  # claimed rows become due again after this
    concurrency: int = 4  # channels sending at the same time
    batch: int = 500  # rows claimed per run

    def delay(
        self, attempts: int, rng: random.Random, retry_after: float | None = None
    ) -> timedelta:
        """Back-off after ``attempts`` failed attempts: equal jitter (half the step plus a random
        part of the other half), never less than the receiver's Retry-After."""
        step: timedelta = min(self.base_delay * 2 ** min(max(attempts - 1, 0), 32), self.max_delay)
        wait: timedelta = step / 2 + step / 2 * rng.random()
        if retry_after is not None:
            wait = max(wait, min(timedelta(seconds=retry_after), self.max_delay))
        return wait


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery_id: int
    channel: str
    alert_title: str
    tenant_name: str
    status: DeliveryStatus
    attempts: int
    ticket_id: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None  # for retries


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    outcomes: tuple[Outcome, ...] = ()
    deferred: int = 0  # due, but not tried: their channel failed earlier in this run

    def count(self, status: DeliveryStatus) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def sent(self) -> int:
        return self.count(DeliveryStatus.SENT)

    @property
    def failed(self) -> int:
        return self.count(DeliveryStatus.FAILED)

    @property
    def retrying(self) -> int:
        return self.count(DeliveryStatus.PENDING)


@dataclass
class _Claim:
    deliveries: list[DeliveryInfo]
    channels: dict[str, tuple[ChannelInfo, str | None]] = field(default_factory=dict)


async def deliver(
    workspace: Workspace,
    *,
    now: datetime | None = None,
    policy: RetryPolicy | None = None,
    channel: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Send the deliveries due at ``now`` (default: the current time); see the module doc."""
    moment = now or datetime.now(UTC)
    rules = policy or RetryPolicy()
    if rules.max_attempts < 1 or rules.concurrency < 1:
        raise InvalidInput("max_attempts and concurrency must be at least 1")
    claim = await asyncio.to_thread(_claim, workspace, moment, rules, channel)
    gate = asyncio.Semaphore(rules.concurrency)
    chance = rng or random.Random()  # jitter, not a secret
    results: list[tuple[list[Outcome], int]] = []

    async def one_channel(name: str, rows: list[DeliveryInfo]) -> None:
        async with gate:
            results.append(
                await _send_channel(workspace, claim, name, rows, moment, rules, chance, transport)
            )

    async with asyncio.TaskGroup() as group:
        for name, rows in groupby(claim.deliveries, key=lambda d: d.channel):
            group.create_task(one_channel(name, list(rows)))
    outcomes = [o for batch, _ in results for o in batch]
    outcomes.sort(key=lambda o: o.delivery_id)
    return DeliveryReport(tuple(outcomes), sum(deferred for _, deferred in results))


def _claim(workspace: Workspace, now: datetime, policy: RetryPolicy, channel: str | None) -> _Claim:
    with workspace.session() as session:
        store = AlertStore(session, workspace.secrets)
        if channel is not None:
            channel = store.channel(channel).name  # NotFound for a channel that does not exist
        due = store.claim_due(now, lease=policy.lease, limit=policy.batch, channel=channel)
        known = {c.name: c for c in store.channels()}
        claim = _Claim(sorted(due, key=lambda d: (d.channel, d.next_attempt_at, d.id)))
        for name in {d.channel for d in due} & known.keys():
            claim.channels[name] = (known[name], store.secret(known[name]))
    return claim


async def _send_channel(
    workspace: Workspace,
    claim: _Claim,
    name: str,
    rows: Sequence[DeliveryInfo],
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random,
    transport: httpx.AsyncBaseTransport | None,
) -> tuple[list[Outcome], int]:
    outcomes: list[Outcome] = []
    stored = claim.channels.get(name)
    if stored is None:  # removed between dispatch and now
        for row in rows:
            error = "the channel was removed before this alert could be delivered"
            outcomes.append(await _record_failure(workspace, row, now, error, attempted=False))
        return outcomes, 0
    info, secret = stored
    async with AsyncExitStack() as stack:
        try:
            adapter = await stack.enter_async_context(
                open_channel(info.type, info.config, secret, transport=transport)
            )
        except InvalidInput as exc:  # its stored configuration (or CA file) is unusable now
            problem = DeliveryError(f"channel '{name}' cannot be used: {exc}", retryable=True)
            outcome = await _record_error(workspace, rows[0], now, problem, policy, rng)
            await asyncio.to_thread(_release, workspace, rows[1:], outcome.next_attempt_at or now)
            return [outcome], len(rows) - 1
        for index, row in enumerate(rows):
            message = Outgoing(row.alert.to_alert(), row.uid, attempt=row.attempts + 1)
            try:
                sent = await adapter.send(message)
            except DeliveryError as exc:
                outcome = await _record_error(workspace, row, now, exc, policy, rng)
                outcomes.append(outcome)
                if exc.retryable:  # the channel is failing: the rest wait with this one
                    rest = rows[index + 1 :]
                    until = outcome.next_attempt_at or now
                    await asyncio.to_thread(_release, workspace, rest, until)
                    return outcomes, len(rest)
                continue
            await asyncio.to_thread(_record_sent, workspace, row, now, sent.ticket_id)
            outcomes.append(_outcome(row, DeliveryStatus.SENT, ticket_id=sent.ticket_id))
    return outcomes, 0


def _outcome(
    row: DeliveryInfo,
    status: DeliveryStatus,
    *,
    attempted: bool = True,
    ticket_id: str | None = None,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
) -> Outcome:
    return Outcome(
        delivery_id=row.id,
        channel=row.channel,
        alert_title=row.alert.title,
        tenant_name=row.alert.tenant_name,
        status=status,
        attempts=row.attempts + (1 if attempted else 0),
        ticket_id=ticket_id,
        error=error,
        next_attempt_at=next_attempt_at,
    )


async def _record_error(
    workspace: Workspace,
    row: DeliveryInfo,
    now: datetime,
    exc: DeliveryError,
    policy: RetryPolicy,
    rng: random.Random,
) -> Outcome:
    attempts = row.attempts + 1
    if not exc.retryable:
        return await _record_failure(workspace, row, now, exc.message, attempted=True)
    if attempts >= policy.max_attempts:
        error = f"gave up after {attempts} attempts; the last: {exc.message}"
        return await _record_failure(workspace, row, now, error, attempted=True)
    next_at = now + policy.delay(attempts, rng, exc.retry_after)
    await asyncio.to_thread(_record_retry, workspace, row, now, next_at, exc.message)
    return _outcome(row, DeliveryStatus.PENDING, error=exc.message, next_attempt_at=next_at)


async def _record_failure(
    workspace: Workspace, row: DeliveryInfo, now: datetime, error: str, *, attempted: bool
) -> Outcome:
    def write() -> None:
        with workspace.session() as session:
            AlertStore(session, workspace.secrets).mark_failed(
                row.id, at=now, error=error, attempted=attempted
            )

    await asyncio.to_thread(write)
    return _outcome(row, DeliveryStatus.FAILED, attempted=attempted, error=error)


def _record_sent(
    workspace: Workspace, row: DeliveryInfo, now: datetime, ticket: str | None
) -> None:
    with workspace.session() as session:
        AlertStore(session, workspace.secrets).mark_sent(row.id, at=now, ticket_id=ticket)


def _record_retry(
    workspace: Workspace, row: DeliveryInfo, now: datetime, next_at: datetime, error: str
) -> None:
    with workspace.session() as session:
        AlertStore(session, workspace.secrets).mark_retry(
            row.id, at=now, next_attempt_at=next_at, error=error
        )


def _release(workspace: Workspace, rows: Sequence[DeliveryInfo], until: datetime) -> None:
    if not rows:
        return
    with workspace.session() as session:
        store = AlertStore(session, workspace.secrets)
        for row in rows:
            store.release(row.id, next_attempt_at=until)
