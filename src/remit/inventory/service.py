"""The collection use case: for each tenant, get a token, read Graph, store a snapshot.

A snapshot is stored in one database transaction after every read has finished, so a crash or
Ctrl-C leaves the previous snapshots exactly as they were. Failed and partial collections are
stored too, with what was missing and why, but they never count as the tenant's last good one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from remit.domain import (
    CollectionStatus,
    EndpointOutcome,
    EndpointResult,
    EndpointStats,
    TenantCredentials,
)
from remit.graph import GraphClient, open_graph_client
from remit.inventory.collect import CollectionOutcome, collect_tenant
from remit.workspace import Workspace

ClientFactory = Callable[[TenantCredentials], GraphClient]


@dataclass(frozen=True, slots=True)
class TenantRef:
    name: str
    tenant_id: str


@dataclass(frozen=True, slots=True)
class CollectionReport:
    """What one tenant's collection produced, for the CLI, the API and benchmarks."""

    tenant: TenantRef
    status: CollectionStatus
    snapshot_id: int | None
    http_requests: int  # HTTP requests sent ($batch calls count once)
    throttled: int  # 429 answers, top level and inside $batch
    retries: int  # requests and sub-requests sent again
    bytes_received: int
    seconds: float
    error: str = ""
    missing: tuple[EndpointResult, ...] = field(default=())


class Progress(Protocol):
    def started(self, tenant: TenantRef) -> None: ...

    def finished(self, report: CollectionReport) -> None: ...


class _NoProgress:
    def started(self, tenant: TenantRef) -> None:
        return None

    def finished(self, report: CollectionReport) -> None:
        return None


def resolve_tenants(workspace: Workspace, refs: Sequence[str] | None) -> list[TenantRef]:
    """The tenants named by ``refs`` (names, ids or domains), or every tenant when None."""
    with workspace.session(write=False) as session:
        repo = workspace.tenants(session)
        rows = repo.list() if refs is None else [repo.get(ref) for ref in refs]
        return [TenantRef(name=t.name, tenant_id=t.tenant_id) for t in rows]


async def collect_tenants(
    workspace: Workspace,
    tenants: Sequence[TenantRef],
    *,
    progress: Progress | None = None,
    client_factory: ClientFactory | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[CollectionReport]:
    """Collect ``tenants`` concurrently (``collect.tenant_concurrency`` at a time)."""
    sink = progress or _NoProgress()
    limit = asyncio.Semaphore(workspace.settings.collect.tenant_concurrency)
    graph_settings = workspace.settings.graph

    def default_factory(credentials: TenantCredentials) -> GraphClient:
        return open_graph_client(credentials, graph_settings)

    factory = client_factory or default_factory

    async def one(tenant: TenantRef) -> CollectionReport:
        async with limit:
            sink.started(tenant)
            report = await _collect_one(workspace, tenant, factory, now)
            sink.finished(report)
            return report

    return list(await asyncio.gather(*(one(t) for t in tenants)))


async def _collect_one(
    workspace: Workspace,
    tenant: TenantRef,
    factory: ClientFactory,
    now: Callable[[], datetime],
) -> CollectionReport:
    with workspace.session(write=False) as session:
        credentials = workspace.tenants(session).credentials(tenant.tenant_id)
    started = now()
    loop = asyncio.get_running_loop()
    clock = loop.time()
    async with factory(credentials) as client:
        outcome = await collect_tenant(client, started)
        stats = client.stats
    finished = now()
    totals = stats.total()  # HTTP requests and bytes: $batch calls once, not their sub-requests
    # Every 429 and retry, top level and inside $batch (the HTTP ledger alone misses the latter).
    per_endpoint = stats.snapshot()
    throttled = sum(s.throttled for s in per_endpoint.values())
    retries = sum(s.retries for s in per_endpoint.values())
    snapshot_id = await asyncio.to_thread(
        _save, workspace, tenant, outcome, started, finished, per_endpoint, totals.requests
    )
    return CollectionReport(
        tenant=tenant,
        status=outcome.status,
        snapshot_id=snapshot_id,
        http_requests=totals.requests,
        throttled=throttled,
        retries=retries,
        bytes_received=totals.bytes_received,
        seconds=loop.time() - clock,
        error=outcome.error,
        missing=tuple(r for r in outcome.results if r.outcome is not EndpointOutcome.OK),
    )


def _save(
    workspace: Workspace,
    tenant: TenantRef,
    outcome: CollectionOutcome,
    started: datetime,
    finished: datetime,
    request_stats: Mapping[str, EndpointStats],
    http_requests: int,
) -> int:
    with workspace.session() as session:
        row = workspace.tenants(session).get(tenant.tenant_id)
        info = workspace.snapshots(session, row).save(
            outcome.payloads,
            status=outcome.status,
            started_at=started,
            finished_at=finished,
            endpoint_results=outcome.results,
            request_stats=request_stats,
            http_requests=http_requests,
            error=outcome.error or None,
        )
        return info.id
