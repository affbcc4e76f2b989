"""JSON batching: ``POST /v1.0/$batch`` with up to 20 sub-requests.

Each sub-request runs through the same pipeline as a top-level request (authorised with the
batch's token, throttled, faulted and counted on its own), so a throttled sub-request comes back
as a 429 sub-response with its own Retry-After inside a 200 batch. ``dependsOn`` is honoured (a
failed dependency gives 424); sub-requests on one mailbox run at most 4 at a time.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from remit.emulator.endpoints import classify
from remit.emulator.graph import GraphRequest, GraphService, standard_headers
from remit.emulator.refusals import injected_error, throttled
from remit.emulator.responses import GraphError, GraphResult, error_result

MAX_REQUESTS = 20
MAILBOX_BATCH_CONCURRENCY = 4
_SUB_HEADERS = ("Content-Type", "Cache-Control", "Retry-After")


@dataclass
class SubRequest:
    id: str
    method: str
    url: str
    headers: dict[str, str]
    depends_on: list[str]


def _invalid(message: str) -> GraphError:
    return GraphError(400, "BadRequest", message)


def parse_batch(raw: bytes) -> list[SubRequest]:
    try:
        document = json.loads(raw)
    except ValueError:
        raise _invalid(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and "
            "payload is of valid JSON format."
        ) from None
    requests = document.get("requests") if isinstance(document, dict) else None
    if not isinstance(requests, list) or not requests:
        raise _invalid("Invalid batch payload format: 'requests' must be a non-empty array.")
    if len(requests) > MAX_REQUESTS:
        raise _invalid(
            f"Number of requests in the batch exceeds {MAX_REQUESTS} (got {len(requests)})."
        )
    subs: list[SubRequest] = []
    seen: set[str] = set()
    for index, entry in enumerate(requests):
        if not isinstance(entry, dict):
            raise _invalid(f"Invalid batch payload format: request {index} is not an object.")
        ident, method, url = entry.get("id"), entry.get("method"), entry.get("url")
        if not isinstance(ident, str) or not ident:
            raise _invalid(f"Invalid batch payload format: request {index} has no string 'id'.")
        if ident in seen:
            raise _invalid(f"Batch request contains duplicate request id '{ident}'.")
        seen.add(ident)
        if not isinstance(method, str) or not isinstance(url, str) or not url:
            raise _invalid(f"Request '{ident}' needs a 'method' and a relative 'url'.")
        if "://" in url:
            raise _invalid(f"Request '{ident}': the url must be relative to the version root.")
        headers = entry.get("headers") or {}
        depends = entry.get("dependsOn") or []
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise _invalid(f"Request '{ident}': 'headers' must be an object of strings.")
        if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
            raise _invalid(f"Request '{ident}': 'dependsOn' must be an array of request ids.")
        subs.append(SubRequest(ident, method.upper(), url, dict(headers), list(depends)))
    ids = {s.id for s in subs}
    for sub in subs:
        for dep in sub.depends_on:
            if dep not in ids or dep == sub.id:
                raise _invalid(f"Request '{sub.id}' depends on '{dep}', which is not in the batch.")
    _check_acyclic(subs)
    return subs


def _check_acyclic(subs: list[SubRequest]) -> None:
    deps = {s.id: set(s.depends_on) for s in subs}
    done: set[str] = set()
    while deps:
        ready = [ident for ident, needs in deps.items() if needs <= done]
        if not ready:
            raise _invalid("The dependsOn chain of the batch has a cycle.")
        for ident in ready:
            done.add(ident)
            del deps[ident]


def _split_url(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    path = unquote(parts.path).strip("/")
    params: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        params.setdefault(key, value)
    return path, params


def sub_response(ident: str, result: GraphResult) -> dict[str, Any]:
    headers = {"Content-Type": result.content_type}
    for name, value in result.headers.items():
        if name in _SUB_HEADERS:
            headers[name] = value
    body: Any = result.payload
    if not result.is_json and body is not None:
        body = base64.b64encode(result.body()).decode()
    return {"id": ident, "status": result.status, "headers": headers, "body": body}


async def run_batch(service: GraphService, req: GraphRequest, raw: bytes) -> GraphResult:
    """Answer one ``$batch`` call (faults on ``$batch`` itself first, then the sub-requests)."""
    try:
        result = await _run(service, req, raw)
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
    transport = req.transport is not None and req.transport.kind is not None
    service.state.stats.record(
        req.tenant.tenant_id, "$batch", result.status, len(result.body()), transport=transport
    )
    return result


async def _run(service: GraphService, req: GraphRequest, raw: bytes) -> GraphResult:
    decision = service.state.faults.decide(req.tenant.tenant_id, "$batch", top_level=True)
    if decision.latency_ms:
        await asyncio.sleep(decision.latency_ms / 1000)
    action = decision.action
    if action is not None:
        if action.kind == "throttle":
            raise throttled(classify("$batch"), action.retry_after)
        if action.kind == "error":
            raise injected_error(action.status, action.retry_after)
        if req.transport is not None:
            req.transport.kind = action.kind
    subs = parse_batch(raw)
    results: dict[str, GraphResult] = {}
    finished = {sub.id: asyncio.Event() for sub in subs}
    mailboxes: dict[str, asyncio.Semaphore] = {}

    async def run_one(sub: SubRequest) -> None:
        try:
            for dep in sub.depends_on:
                await finished[dep].wait()
            failed = [d for d in sub.depends_on if results[d].status >= 400]
            if failed:
                results[sub.id] = error_result(
                    424,
                    "FailedDependency",
                    f"Request '{sub.id}' was not run because request '{failed[0]}' failed.",
                    request_id=req.request_id,
                    client_request_id=req.client_request_id,
                )
                return
            path, params = _split_url(sub.url)
            headers: Mapping[str, str] = {k.lower(): v for k, v in sub.headers.items()}
            child = GraphRequest(
                method=sub.method,
                path=path,
                params=params,
                headers=headers,
                tenant=req.tenant,
                base_url=req.base_url,
                top_level=False,
                client_request_id=req.client_request_id,
            )
            mailbox = classify(path).mailbox if path else None
            if mailbox is None:
                results[sub.id] = await service.dispatch(child)
            else:
                gate = mailboxes.setdefault(mailbox, asyncio.Semaphore(MAILBOX_BATCH_CONCURRENCY))
                async with gate:
                    results[sub.id] = await service.dispatch(child)
        finally:
            finished[sub.id].set()

    await asyncio.gather(*(run_one(sub) for sub in subs))
    return GraphResult(200, {"responses": [sub_response(s.id, results[s.id]) for s in subs]})
