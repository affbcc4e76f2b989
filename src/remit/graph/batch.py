"""JSON ``$batch``: up to 20 sub-requests per call, answers matched by id, failures retried alone.

A list longer than 20 is split into chunks (requests linked by ``dependsOn`` stay in the same
chunk); chunks run concurrently, limited by the tenant's gate like any request. Within a
chunk, each round posts the pending sub-requests; the whole call gets the client's ordinary
retry policy (transport errors, 5xx, a 429 at top level, truncated or malformed JSON).
Before each round, sub-requests that would break one of Graph's known low per-tenant limits
(see :mod:`remit.graph.pacing`), or that would put more than four requests on one mailbox, are
held back for a later round. Sub-responses are then sorted out one by one:

- 2xx: done;
- 429: retried in a later round after its own ``Retry-After`` (or a back-off), and the tenant
  is paused for that long;
- 500/502/503/504 (and an id missing from the answer): retried in a later round after a
  back-off (only when the sub-request is a GET, or the status is 503);
- 401: retried once with a fresh token;
- 424 (a dependency failed) while the dependency is being retried: retried with it;
- anything else: done, with the typed error a top-level request would raise.

Each sub-request has its own retry budget (the same settings as a top-level request).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from remit.errors import GraphError, GraphRequestError, GraphUnavailable
from remit.graph.errors import graph_error_from_response, parse_error_body
from remit.graph.models import BatchRequest, BatchResponse
from remit.graph.retry import RETRYABLE_STATUS, Attempts, Failure, give_up_error
from remit.graph.stats import endpoint_template
from remit.graph.throttle import mailbox_key, parse_retry_after
from remit.graph.urls import ForeignUrlError

if TYPE_CHECKING:
    from remit.graph.client import GraphClient

MAX_BATCH_SIZE = 20
BATCH_PATH = "$batch"


@dataclass(slots=True)
class _Item:
    request: BatchRequest
    id: str
    url: str  # relative to the root, starting with "/"
    attempts: Attempts
    refreshed: bool = False
    tries: int = 0
    response: BatchResponse | None = field(default=None)

    @property
    def method(self) -> str:
        return self.request.method.upper()

    @property
    def endpoint(self) -> str:
        return endpoint_template(self.url.split("?", 1)[0])


def _assign_ids(requests: Sequence[BatchRequest]) -> list[str]:
    given = [r.id for r in requests if r.id is not None]
    if len(set(given)) != len(given):
        duplicates = sorted({i for i in given if given.count(i) > 1})
        raise ValueError(f"batch request ids must be unique; repeated: {', '.join(duplicates)}")
    taken = set(given)
    ids: list[str] = []
    counter = 0
    for request in requests:
        if request.id is not None:
            ids.append(request.id)
            continue
        counter += 1
        while str(counter) in taken:
            counter += 1
        taken.add(str(counter))
        ids.append(str(counter))
    return ids


def _chunks(items: list[_Item]) -> list[list[_Item]]:
    """Groups linked by dependsOn, packed in input order into chunks of at most 20."""
    by_id = {item.id: item for item in items}
    parent = {item.id: item.id for item in items}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for item in items:
        for dependency in item.request.depends_on:
            if dependency not in by_id:
                raise ValueError(f"batch request {item.id} depends on unknown id {dependency}")
            parent[root(item.id)] = root(dependency)
    groups: dict[str, list[_Item]] = {}
    for item in items:
        groups.setdefault(root(item.id), []).append(item)
    chunks: list[list[_Item]] = []
    current: list[_Item] = []
    for group in groups.values():
        if len(group) > MAX_BATCH_SIZE:
            raise ValueError(
                f"{len(group)} batch requests are linked by dependsOn; at most "
                f"{MAX_BATCH_SIZE} can share one batch"
            )
        if len(current) + len(group) > MAX_BATCH_SIZE:
            chunks.append(current)
            current = []
        current.extend(group)
    if current:
        chunks.append(current)
    return chunks


def _payload(item: _Item, pending: set[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": item.id, "method": item.method, "url": item.url}
    if item.request.headers:
        entry["headers"] = dict(item.request.headers)
    if item.request.body is not None:
        entry["body"] = item.request.body
        entry.setdefault("headers", {}).setdefault("Content-Type", "application/json")
    depends = [d for d in item.request.depends_on if d in pending]
    if depends:
        entry["dependsOn"] = depends
    return entry


def _validate_batch_body(body: dict[str, Any]) -> None:
    responses = body.get("responses")
    if not isinstance(responses, list) or not all(
        isinstance(r, dict) and isinstance(r.get("id"), str) and isinstance(r.get("status"), int)
        for r in responses
    ):
        raise ValueError("a $batch answer without a valid `responses` list")


async def run_batch(client: GraphClient, requests: Sequence[BatchRequest]) -> list[BatchResponse]:
    """Send ``requests`` through ``$batch``; one response per request, in input order."""
    if not requests:
        return []
    items: list[_Item] = []
    for request, item_id in zip(requests, _assign_ids(requests), strict=True):
        try:
            relative = client._base.relative(request.url)
        except ForeignUrlError as exc:
            raise ValueError(f"batch request {item_id} points at another host ({exc})") from None
        attempts = Attempts(client._policy, client._rng)
        items.append(_Item(request, item_id, "/" + relative, attempts))
    chunks = _chunks(items)
    if len(chunks) == 1:
        await _run_chunk(client, chunks[0])
    else:
        try:
            async with asyncio.TaskGroup() as group:
                for chunk in chunks:
                    group.create_task(_run_chunk(client, chunk))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
    responses = [item.response for item in items]
    assert all(r is not None for r in responses)
    return [r for r in responses if r is not None]


def _admissible(
    client: GraphClient, pending: list[_Item]
) -> tuple[list[_Item], list[_Item], float]:
    """Split ``pending`` into what may go in this round and what must wait for a later one.

    Held back: a read under one of Graph's known low limits that has no room yet (``wait`` is
    the seconds until the first of them may go; 0 when only mailbox caps held items back), and
    sub-requests past the fourth to one mailbox, since Outlook runs at most four at a time per
    mailbox inside a batch. A sub-request held back takes its dependants with it.
    """
    ready: list[_Item] = []
    held: list[_Item] = []
    wait = 0.0
    held_ids: set[str] = set()
    per_mailbox: dict[str, int] = {}
    cap = client.settings.max_concurrency_per_mailbox
    for item in pending:
        mailbox = mailbox_key(item.url.lstrip("/"))
        if any(d in held_ids for d in item.request.depends_on) or (
            mailbox is not None and per_mailbox.get(mailbox, 0) >= cap
        ):
            held.append(item)
            held_ids.add(item.id)
            continue
        delay = client.gate.reserve(item.url)
        if delay > 0:
            held.append(item)
            held_ids.add(item.id)
            wait = delay if not wait else min(wait, delay)
            continue
        if mailbox is not None:
            per_mailbox[mailbox] = per_mailbox.get(mailbox, 0) + 1
        ready.append(item)
    return ready, held, wait


async def _run_chunk(client: GraphClient, items: list[_Item]) -> None:
    pending = list(items)
    force_refresh = False
    while pending:
        ready, held, wait = _admissible(client, pending)
        if not ready:
            await client._sleep(wait)
            continue
        pending = ready
        pending_ids = {item.id for item in pending}
        body = await client._request_json(
            "POST",
            BATCH_PATH,
            json_body={"requests": [_payload(item, pending_ids) for item in pending]},
            idempotent=all(item.method == "GET" for item in pending),
            force_refresh=force_refresh,
            validate=_validate_batch_body,
        )
        for item in pending:  # the paced limits count from the answer, not from the send
            client.gate.answered(item.url)
        answers = {r["id"]: r for r in body["responses"]}
        retry: list[_Item] = []
        pause = 0.0
        backoff = 0.0
        force_refresh = False
        for item in pending:
            answer = answers.get(item.id)
            outcome = _settle(client, item, answer)
            if outcome == "retry-now":
                force_refresh = True
                retry.append(item)
            elif isinstance(outcome, tuple):
                kind, delay = outcome
                if kind == "pause":
                    pause = max(pause, delay)
                else:
                    backoff = max(backoff, delay)
                retry.append(item)
        # A 424 whose dependency is retried goes again with it; otherwise it is final.
        retried_ids = {item.id for item in retry}
        for item in pending:
            response = item.response
            if (
                response is not None
                and response.status == 424
                and any(d in retried_ids for d in item.request.depends_on)
            ):
                item.response = None
                retry.append(item)
        if pause > 0:
            client.gate.pause(pause)
        if backoff > pause:
            await client._sleep(backoff - pause)
        again = {item.id for item in retry} | {item.id for item in held}
        pending = [item for item in items if item.id in again]


def _settle(
    client: GraphClient, item: _Item, answer: dict[str, Any] | None
) -> str | tuple[str, float] | None:
    """Record one sub-response; return None (final), "retry-now", or (pause|backoff, delay)."""
    status = answer["status"] if answer is not None else None
    raw_headers = (answer or {}).get("headers")
    headers = (
        {str(k): str(v) for k, v in (raw_headers or {}).items()}
        if isinstance(raw_headers, dict)
        else {}
    )
    body = (answer or {}).get("body")
    client.stats.record(
        item.endpoint,
        status=status,
        retry=item.tries > 0,
        batched=True,
        error=status is None,
    )
    item.tries += 1
    if status is not None and 200 <= status < 300:
        item.response = BatchResponse(item.id, status, headers, body)
        return None
    if status == 401 and not item.refreshed:
        item.refreshed = True
        return "retry-now"
    if status == 424:
        item.response = BatchResponse(item.id, status, headers, body, _error(client, item, 424))
        return None
    code, _, request_id = parse_error_body(body)
    failure = Failure(
        f"HTTP {status} {code or ''}".rstrip() if status else "no answer for it in the $batch",
        status=status,
        code=code,
        request_id=request_id or headers.get("request-id"),
    )
    safe = item.method == "GET"
    retryable = (
        status == 429
        or (status is None and safe)
        or (status in RETRYABLE_STATUS and (safe or status == 503))
    )
    if not retryable:
        error = (
            _error(client, item, status, body, headers)
            if status is not None
            else GraphUnavailable(
                f"{item.method} {item.endpoint} for tenant {client.tenant_id} got no answer in "
                "the $batch; it was not retried because it may have been applied. Check the "
                "result in the tenant before running it again.",
                tenant_id=client.tenant_id,
                endpoint=item.endpoint,
            )
        )
        item.response = BatchResponse(item.id, status or 0, headers, body, error)
        return None
    if status == 429:
        client.gate.throttled(item.url)
    retry_after = parse_retry_after(_header(headers, "retry-after"))
    delay = item.attempts.next_delay(failure, retry_after)
    if delay is None:
        error = give_up_error(
            item.attempts,
            tenant_id=client.tenant_id,
            method=item.method,
            endpoint=item.endpoint,
            policy=client._policy,
        )
        item.response = BatchResponse(item.id, status or 0, headers, body, error)
        return None
    return ("pause" if status == 429 else "backoff", delay)


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _error(
    client: GraphClient,
    item: _Item,
    status: int,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> GraphError:
    if status == 424:
        depends = ", ".join(item.request.depends_on) or "another request"
        return GraphRequestError(
            f"{item.method} {item.endpoint} for tenant {client.tenant_id} was not run because "
            f"the batch request it depends on ({depends}) failed",
            tenant_id=client.tenant_id,
            endpoint=item.endpoint,
            status=424,
        )
    return graph_error_from_response(
        tenant_id=client.tenant_id,
        method=item.method,
        url=item.url.lstrip("/"),
        status=status,
        body=body,
        headers=headers,
        client_id=client.client_id,
    )


async def run_batch_all_pages(
    client: GraphClient, requests: Sequence[BatchRequest]
) -> list[BatchResponse]:
    """:func:`run_batch`, then every nextLink in further batches until all pages are in.

    A successful response's body becomes ``{"value": [every item]}`` (plus ``@odata.count``
    from page one when present); a page that fails turns its response into that failure.
    """
    first = await run_batch(client, requests)
    results = list(first)
    collected: dict[int, list[Any]] = {}
    following: dict[int, str] = {}
    for index, response in enumerate(first):
        # Only collections page; a single object (no `value` list) is left as Graph sent it.
        if (
            response.ok
            and isinstance(response.body, dict)
            and isinstance(response.body.get("value"), list)
        ):
            collected[index] = list(response.items)
            if response.next_link:
                following[index] = response.next_link
    while following:
        order = list(following)
        pages = await run_batch(
            client,
            [BatchRequest(url=following[i], headers=requests[i].headers) for i in order],
        )
        following = {}
        for index, page in zip(order, pages, strict=True):
            if not page.ok:
                results[index] = page
                collected.pop(index, None)
                continue
            collected[index].extend(page.items)
            if page.next_link:
                following[index] = page.next_link
    for index, items in collected.items():
        response = results[index]
        body: dict[str, Any] = {"value": items}
        if isinstance(response.body, dict) and "@odata.count" in response.body:
            body["@odata.count"] = response.body["@odata.count"]
        results[index] = BatchResponse(response.id, response.status, response.headers, body)
    return results
