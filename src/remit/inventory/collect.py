"""Collect one tenant's identity-and-access configuration from Graph into snapshot payloads.

Pure orchestration of Graph reads: no database. Every read either lands in the payloads or is
recorded as an :class:`EndpointResult` saying exactly what is missing and why; nothing is
silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from remit.domain import CollectionStatus, EndpointOutcome, EndpointResult
from remit.errors import (
    AuthenticationError,
    GraphError,
    GraphUnavailable,
    LicenseRequired,
    MissingPermission,
    ThrottledTooLong,
)
from remit.graph import BatchRequest, BatchResponse, GraphClient
from remit.inventory.plan import Resource, phase_one, phase_two


@dataclass(frozen=True, slots=True)
class CollectionOutcome:
    status: CollectionStatus
    payloads: dict[str, Any]
    results: tuple[EndpointResult, ...]
    error: str = ""  # for FAILED: the one-line reason


async def collect_tenant(client: GraphClient, now: datetime) -> CollectionOutcome:
    """Read everything an identity-and-access snapshot needs, in as few round trips as Graph allows.

    Raises nothing for per-endpoint problems (they are recorded); an authentication failure or
    Graph being unreachable for the whole tenant gives a FAILED outcome with the reason.
    """
    payloads: dict[str, Any] = {}
    results: list[EndpointResult] = []
    try:
        await _read_all(client, phase_one(now), payloads, results)
        await _read_all(client, phase_two(payloads), payloads, results)
    except AuthenticationError as exc:
        return CollectionOutcome(CollectionStatus.FAILED, {}, tuple(results), str(exc))
    ok = all(r.outcome is EndpointOutcome.OK for r in results)
    if not payloads:
        reason = next((r.detail for r in results if r.detail), "Graph returned nothing")
        return CollectionOutcome(CollectionStatus.FAILED, {}, tuple(results), reason)
    status = CollectionStatus.COMPLETE if ok else CollectionStatus.PARTIAL
    return CollectionOutcome(status, payloads, tuple(results))


async def _read_all(
    client: GraphClient,
    resources: Sequence[Resource],
    payloads: dict[str, Any],
    results: list[EndpointResult],
) -> None:
    if not resources:
        return
    try:
        responses = await client.batch_all_pages([BatchRequest(url=r.url()) for r in resources])
    except AuthenticationError:
        raise
    except GraphError as exc:  # the whole batch failed: every read in it is missing, for one reason
        results.extend(_failure(r.key, exc) for r in resources)
        return
    retry: list[Resource] = []
    for resource, response in zip(resources, responses, strict=True):
        try:
            await _store(client, resource, response, payloads)
            results.append(_ok(resource, payloads))
        except (LicenseRequired, MissingPermission) as exc:
            if resource.fallback_params is None:
                results.append(_failure(resource.key, exc))
            else:
                retry.append(resource)
                results.append(_failure(resource.fallback_key, exc))
        except AuthenticationError:
            raise
        except GraphError as exc:
            results.append(_failure(resource.key, exc))
    if retry:
        fallback = [BatchRequest(url=r.url(r.fallback_params)) for r in retry if r.fallback_params]
        try:
            responses = await client.batch_all_pages(fallback)
        except AuthenticationError:
            raise
        except GraphError as exc:
            results.extend(_failure(r.key, exc) for r in retry)
            return
        for resource, response in zip(retry, responses, strict=True):
            try:
                await _store(client, resource, response, payloads)
                results.append(_ok(resource, payloads))
            except AuthenticationError:
                raise
            except GraphError as exc:
                results.append(_failure(resource.key, exc))


async def _store(
    client: GraphClient, resource: Resource, response: BatchResponse, payloads: dict[str, Any]
) -> None:
    """Keep one read's body; its pages were already merged by ``batch_all_pages``."""
    response.raise_for_error()
    body = response.body
    if not isinstance(body, dict):
        raise GraphUnavailable(
            f"Graph answered {resource.key} with a body that is not a JSON object",
            tenant_id=client.tenant_id,
            endpoint=resource.key,
        )
    if not resource.collection:
        payloads[resource.key] = {k: v for k, v in body.items() if not k.startswith("@odata.")}
        return
    payloads[resource.key] = {"value": list(body.get("value") or [])}


def _ok(resource: Resource, payloads: dict[str, Any]) -> EndpointResult:
    body = payloads.get(resource.key)
    count = len(body["value"]) if resource.collection and isinstance(body, dict) else None
    return EndpointResult(resource.key, EndpointOutcome.OK, items=count)


def _failure(key: str, exc: GraphError) -> EndpointResult:
    if isinstance(exc, MissingPermission):
        return EndpointResult(
            key, EndpointOutcome.MISSING_PERMISSION, detail=str(exc), permission=exc.permission
        )
    if isinstance(exc, LicenseRequired):
        return EndpointResult(
            key, EndpointOutcome.LICENSE_REQUIRED, detail=str(exc), license=exc.license
        )
    if isinstance(exc, ThrottledTooLong):
        return EndpointResult(key, EndpointOutcome.THROTTLED, detail=str(exc))
    if isinstance(exc, GraphUnavailable):
        return EndpointResult(key, EndpointOutcome.UNAVAILABLE, detail=str(exc))
    return EndpointResult(key, EndpointOutcome.ERROR, detail=str(exc))
