"""The Graph request pipeline, shared by top-level requests and ``$batch`` sub-requests.

Order of play for one request: parse the query, injected faults (latency, throttle, error,
drop/truncate, expired delta), the throttling model, the method, permissions, licences, then the
read itself. Every request is counted in the stats under its path template.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from remit.emulator.delta import read_delta
from remit.emulator.endpoints import IDENTITY_BUCKET, Endpoint, classify, has_license
from remit.emulator.faults import FaultDecision, TransportFault
from remit.emulator.odata import QueryOptions, normalise_params, parse_query
from remit.emulator.refusals import (
    injected_error,
    license_missing,
    permission_denied,
    sign_in_activity_refused,
    throttled,
)
from remit.emulator.resources import ReadContext, read
from remit.emulator.responses import AGS_DIAGNOSTIC, GraphError, GraphResult, error_result
from remit.emulator.state import EmulatorState
from remit.emulator.tenants import TenantState

SIGN_IN_ACTIVITY = "signInActivity"


@dataclass
class GraphRequest:
    method: str
    path: str  # relative to /v1.0/, without leading or trailing '/'
    params: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    tenant: TenantState
    base_url: str
    top_level: bool = True
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_request_id: str = ""
    transport: TransportFault | None = None

    def __post_init__(self) -> None:
        if not self.client_request_id:
            self.client_request_id = self.headers.get("client-request-id") or self.request_id


def standard_headers(request_id: str, client_request_id: str) -> dict[str, str]:
    return {
        "request-id": request_id,
        "client-request-id": client_request_id,
        "x-ms-ags-diagnostic": AGS_DIAGNOSTIC,
        "Strict-Transport-Security": "max-age=31536000",
        "Cache-Control": "no-cache",
        "OData-Version": "4.0",
    }


def _uses_sign_in_activity(path: str, options: QueryOptions) -> bool:
    if not path.startswith("users") or path.startswith("users/delta"):
        return False
    if options.select is not None and SIGN_IN_ACTIVITY in options.select:
        return True
    return options.filter is not None and SIGN_IN_ACTIVITY in options.filter.properties


def _cost(endpoint: Endpoint, options: QueryOptions) -> int:
    cost = endpoint.cost
    if options.select is not None:
        cost -= 1
    if options.expand:
        cost += 1
    return max(cost, 1)


class GraphService:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def dispatch(self, req: GraphRequest) -> GraphResult:
        endpoint = classify(req.path) if req.path else Endpoint(template="")
        try:
            result = await self._pipeline(req, endpoint)
        except GraphError as exc:
            result = error_result(
                exc.status,
                exc.code,
                exc.message,
                request_id=req.request_id,
                client_request_id=req.client_request_id,
                headers=exc.headers,
            )
        result.headers.update(standard_headers(req.request_id, req.client_request_id))
        transport_fault = req.transport is not None and req.transport.kind is not None
        self.state.stats.record(
            req.tenant.tenant_id,
            endpoint.template or "(root)",
            result.status,
            len(result.body()),
            transport=transport_fault,
        )
        return result

    async def _pipeline(self, req: GraphRequest, endpoint: Endpoint) -> GraphResult:
        options = parse_query(req.params)
        decision = self.state.faults.decide(
            req.tenant.tenant_id,
            req.path,
            top_level=req.top_level,
            delta_token=options.deltatoken is not None,
        )
        async with self._mailbox_slot(req.tenant, endpoint) as admitted:
            if decision.latency_ms:
                await asyncio.sleep(decision.latency_ms / 1000)
            if not admitted:
                raise throttled(endpoint, self.state.clock.to_real_seconds(1.0), mailbox=True)
            return await self._serve(req, endpoint, options, decision)

    @asynccontextmanager
    async def _mailbox_slot(self, tenant: TenantState, endpoint: Endpoint) -> AsyncIterator[bool]:
        if endpoint.mailbox is None:
            yield True
            return
        throttler = self.state.throttler
        admitted = throttler.enter_mailbox(tenant.tenant_id, endpoint.mailbox)
        try:
            yield admitted
        finally:
            if admitted:
                throttler.leave_mailbox(tenant.tenant_id, endpoint.mailbox)

    async def _serve(
        self,
        req: GraphRequest,
        endpoint: Endpoint,
        options: QueryOptions,
        decision: FaultDecision,
    ) -> GraphResult:
        action = decision.action
        if action is not None:
            if action.kind == "throttle":
                raise throttled(endpoint, action.retry_after)
            if action.kind == "error":
                raise injected_error(action.status, action.retry_after)
            if req.transport is not None:
                req.transport.kind = action.kind
        tenant = req.tenant
        if not tenant.loaded:
            await asyncio.to_thread(tenant.ensure_loaded)
        sign_in = _uses_sign_in_activity(req.path, options)
        cost = _cost(endpoint, options)
        wait = self.state.throttler.charge(
            tenant.tenant_id,
            endpoint.bucket,
            cost,
            user_count=tenant.spec.user_count,
            mailbox=endpoint.mailbox,
            sign_in_activity=sign_in,
        )
        if wait is not None:
            raise throttled(endpoint, self.state.clock.to_real_seconds(wait))
        if req.method != "GET":
            raise GraphError(
                405,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
            )
        granted = tenant.granted_permissions
        if not endpoint.allows(granted):
            raise permission_denied(endpoint, request_id=req.request_id, path=req.path)
        if sign_in:
            has_audit = "AuditLog.Read.All" in granted or "AuditLog.ReadWrite.All" in granted
            if not has_audit or not has_license(tenant.licenses, "P1"):
                raise sign_in_activity_refused(has_permission=has_audit)
        if not has_license(tenant.licenses, endpoint.license):
            raise license_missing(endpoint)
        if not req.path:
            return GraphResult(
                200, {"@odata.context": f"{req.base_url}/v1.0/$metadata", "value": []}
            )
        ctx = ReadContext(
            tenant=tenant,
            signer=self.state.signer,
            base_url=req.base_url,
            path=req.path,
            params=normalise_params(req.params),
            headers=req.headers,
            options=options,
            endpoint=endpoint,
            now=self.state.clock.wall_timestamp(),
            delta_lifetime=self.state.options.delta_token_lifetime_seconds,
        )
        segments = req.path.split("/")
        if len(segments) > 1 and segments[-1] == "delta":
            result = read_delta(ctx, "/".join(segments[:-1]), expired=decision.delta_expired)
        else:
            result = read(ctx)
        if endpoint.bucket == IDENTITY_BUCKET:
            result.headers["x-ms-resource-unit"] = str(cost)
        return result
