"""The one async client for Microsoft Graph: paging, delta, $batch, retries, typed errors.

Every byte goes through :meth:`GraphClient._send` (one HTTP exchange: admission through the
tenant's gate, a token, the request, accounting). :meth:`GraphClient._request_json` wraps it with
the retry policy, which is the same for every request:

- 429: wait ``Retry-After`` (fractional seconds or an HTTP date) or back off, and pause the
  whole tenant for that long;
- 500/502/503/504: retry after ``Retry-After`` or a back-off;
- dropped connections, timeouts, protocol errors, truncated or invalid JSON: retry;
- a request that is not idempotent (anything but GET, and a ``$batch`` holding a write) is
  retried only on 429/503 or when the connection failed before anything was sent;
- 401: fetch a fresh token once and retry; a second 401 is an AuthenticationError.

The budget is ``max_retries`` retries or ``max_throttle_wait_seconds`` of waiting, whichever
comes first; then ThrottledTooLong (last failure a 429) or GraphUnavailable.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import ssl
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from remit import __version__
from remit.config import GraphSettings
from remit.errors import ConfigError, DeltaTokenExpired, GraphRequestError, GraphUnavailable
from remit.graph.auth import TokenProvider
from remit.graph.batch import run_batch, run_batch_all_pages
from remit.graph.errors import graph_error_from_response, parse_error_body
from remit.graph.models import BatchRequest, BatchResponse, Collection, DeltaResult
from remit.graph.retry import RETRYABLE_STATUS, Attempts, Failure, RetryPolicy, give_up_error
from remit.graph.stats import RequestStats, endpoint_template
from remit.graph.throttle import TenantGate, parse_retry_after
from remit.graph.urls import ForeignUrlError, GraphBase, with_query

Sleep = Callable[[float], Awaitable[None]]
JsonObject = dict[str, Any]

USER_AGENT = f"ISV|Remit|Remit/{__version__}"

# Connection failures where the request certainly never reached Graph.
_NEVER_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
)
# Transport failures worth retrying (for idempotent requests).
_RETRYABLE_TRANSPORT: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)


@functools.lru_cache(maxsize=8)
def tls_context(ca_bundle: str) -> ssl.SSLContext:
    """One SSL context per CA choice, made on first use and shared by every client.

    ``ca_bundle`` empty: the system's trust store (certifi's bundle if the system has none).
    The choice is explicit, so SSL_CERT_FILE and similar variables do not override it.
    """
    if ca_bundle:
        try:
            return ssl.create_default_context(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"graph.ca_bundle: cannot load CA certificates from {ca_bundle} ({exc}); "
                "point the setting at a readable PEM file, or empty it to use the system store"
            ) from None
    context = ssl.create_default_context()
    if not context.get_ca_certs() and not context.cert_store_stats().get("x509_ca"):
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    return context


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def request_id(self) -> str | None:
        value = self.headers.get("request-id")
        return str(value) if value is not None else None


def _decode_object(content: bytes) -> JsonObject:
    """The JSON object in ``content``; ValueError when truncated, invalid or not an object."""
    if not content.strip():
        return {}
    value = json.loads(content)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _is_tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class GraphClient:
    """An async client for one tenant. Use ``async with`` or call :meth:`aclose`."""

    def __init__(
        self,
        tenant_id: str,
        tokens: TokenProvider,
        settings: GraphSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        stats: RequestStats | None = None,
        gate: TenantGate | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        client_id: str | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.settings = settings
        self.stats = stats if stats is not None else RequestStats()
        self.gate = gate if gate is not None else TenantGate(settings, sleep=sleep)
        self.client_id = client_id
        self._tokens = tokens
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self._policy = RetryPolicy.from_settings(settings)
        self._base = GraphBase.parse(settings.base_url)
        connections = settings.max_concurrency_per_tenant + 2
        self._http = httpx.AsyncClient(
            base_url=settings.base_url,
            transport=transport,
            verify=True if transport is not None else tls_context(settings.ca_bundle),
            http1=True,
            http2=False,
            timeout=httpx.Timeout(settings.timeout_seconds),
            limits=httpx.Limits(
                max_connections=connections,
                max_keepalive_connections=connections,
                keepalive_expiry=30.0,
            ),
            trust_env=True,  # proxies from the environment; the CA choice stays explicit
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    # --- lifecycle -------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> GraphClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- public API ------------------------------------------------------------------------

    async def get(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> JsonObject:
        """One JSON object. ``path`` is relative to the root, or an absolute URL on it."""
        return await self._request_json("GET", with_query(path, params), headers=headers)

    async def iter_pages(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[list[JsonObject]]:
        """Each page's ``value``, following ``@odata.nextLink`` until it is absent.

        The nextLink is used as-is (params are not added again); ``headers`` such as
        ``ConsistencyLevel: eventual`` are sent with every page. An empty page is legal.
        """
        async for body in self._pages(with_query(path, params), headers):
            yield self._value(body, path)

    async def get_all(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> list[JsonObject]:
        """Every item of a collection, all pages."""
        return (await self.get_collection(path, params=params, headers=headers)).items

    async def get_collection(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        count: bool = False,
    ) -> Collection:
        """Every item plus ``@odata.count`` from page one.

        ``count=True`` asks for the count (adds ``$count=true`` and ``ConsistencyLevel:
        eventual``, which directory objects require for it).
        """
        if count:
            params = {**(params or {}), "$count": "true"}
            headers = {**(headers or {}), "ConsistencyLevel": "eventual"}
        items: list[JsonObject] = []
        total: int | None = None
        first = True
        async for body in self._pages(with_query(path, params), headers):
            if first:
                raw = body.get("@odata.count")
                total = raw if isinstance(raw, int) else None
                first = False
            items.extend(self._value(body, path))
        return Collection(items=items, count=total)

    async def delta(
        self,
        path: str,
        delta_link: str | None = None,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> DeltaResult:
        """A delta round: from ``delta_link`` if given, else a full sync of ``path``.

        An expired link (410 Gone, ``syncStateNotFound``, ``resyncRequired``) is discarded
        and a full sync from ``path`` runs instead, with ``full_resync=True``.
        """
        if delta_link is not None:
            try:
                items, link = await self._delta_round(delta_link, headers, path)
            except DeltaTokenExpired:
                self.stats.record_resync(endpoint_template(path))
            else:
                return DeltaResult(items=items, delta_link=link, full_resync=False)
            items, link = await self._delta_round(with_query(path, params), headers, path)
            return DeltaResult(items=items, delta_link=link, full_resync=True)
        items, link = await self._delta_round(with_query(path, params), headers, path)
        return DeltaResult(items=items, delta_link=link, full_resync=False)

    async def batch(self, requests: Sequence[BatchRequest]) -> list[BatchResponse]:
        """JSON ``$batch``: 20 per call, answers in input order, failed items retried alone.

        See :mod:`remit.graph.batch`.
        """
        return await run_batch(self, requests)

    async def batch_all_pages(self, requests: Sequence[BatchRequest]) -> list[BatchResponse]:
        """Like :meth:`batch`, then follow every ``@odata.nextLink`` in further batches, so each
        successful response's ``value`` holds the whole collection."""
        return await run_batch_all_pages(self, requests)

    # --- paging helpers --------------------------------------------------------------------

    async def _pages(
        self, target: str, headers: Mapping[str, str] | None
    ) -> AsyncIterator[JsonObject]:
        next_target: str | None = target
        while next_target is not None:
            body = await self._request_json("GET", next_target, headers=headers)
            yield body
            link = body.get("@odata.nextLink")
            next_target = link if isinstance(link, str) and link else None

    def _value(self, body: JsonObject, path: str) -> list[JsonObject]:
        value = body.get("value")
        if not isinstance(value, list):
            endpoint = endpoint_template(path.split("?", 1)[0])
            raise GraphRequestError(
                f"Graph answered GET {endpoint} for tenant {self.tenant_id} with an object, not "
                "a collection (no `value` list); this is a Remit bug, please report it",
                tenant_id=self.tenant_id,
                endpoint=endpoint,
                status=200,
            )
        return value

    async def _delta_round(
        self, target: str, headers: Mapping[str, str] | None, path: str
    ) -> tuple[list[JsonObject], str]:
        items: list[JsonObject] = []
        async for body in self._pages(target, headers):
            items.extend(self._value(body, path))
            link = body.get("@odata.deltaLink")
            if isinstance(link, str) and link and not body.get("@odata.nextLink"):
                return items, link
        endpoint = endpoint_template(path.split("?", 1)[0])
        raise GraphRequestError(
            f"Graph's answer to GET {endpoint} for tenant {self.tenant_id} ended without "
            "@odata.deltaLink; is this a delta path (e.g. users/delta)?",
            tenant_id=self.tenant_id,
            endpoint=endpoint,
            status=200,
        )

    # --- the request pipeline --------------------------------------------------------------

    def _resolve(self, target: str, method: str) -> tuple[str, str]:
        """(absolute URL to send, path+query relative to the root for templates and gating)."""
        try:
            relative = self._base.relative(target)
        except ForeignUrlError as exc:
            raise GraphRequestError(
                f"Graph sent a link to another host ({exc}) while Remit was reading {method} "
                f"requests for tenant {self.tenant_id} from {self._base.url}; Remit refuses to "
                "send the tenant's token there. If Graph really moved, check graph.base_url.",
                tenant_id=self.tenant_id,
                endpoint=str(exc),
            ) from None
        absolute = target if "://" in target.split("?", 1)[0] else self._base.absolute(relative)
        return absolute, relative

    async def _send(
        self,
        method: str,
        url: str,
        relative: str,
        *,
        headers: Mapping[str, str] | None,
        content: bytes | None,
        retry: bool,
        force_refresh: bool,
    ) -> _Reply:
        """One HTTP exchange, admitted by the tenant's gate and counted in the stats."""
        path = relative.split("?", 1)[0]
        endpoint = endpoint_template(path)
        sent = len(content) if content else 0
        async with self.gate.admit(path):
            token = await self._tokens.token(force_refresh=force_refresh)
            request_headers = {
                **(headers or {}),
                "Authorization": f"Bearer {token}",
                "client-request-id": str(uuid.uuid4()),
            }
            if content is not None:
                request_headers["Content-Type"] = "application/json"
            try:
                response = await self._http.request(
                    method, url, headers=request_headers, content=content
                )
            except httpx.TransportError:
                self.stats.record(endpoint, retry=retry, error=True, bytes_sent=sent)
                raise
            finally:
                self.gate.answered(path)
        self.stats.record(
            endpoint,
            status=response.status_code,
            retry=retry,
            bytes_sent=sent,
            bytes_received=len(response.content),
        )
        return _Reply(response.status_code, response.headers, response.content)

    async def _request_json(
        self,
        method: str,
        target: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
        force_refresh: bool = False,
        validate: Callable[[JsonObject], None] | None = None,
    ) -> JsonObject:
        """Send with the retry policy; return the JSON object of the 2xx answer.

        ``validate`` may raise ValueError for a body of the wrong shape, which is then handled
        like a truncated body (retried when idempotent).
        """
        url, relative = self._resolve(target, method)
        endpoint = endpoint_template(relative.split("?", 1)[0])
        content = json.dumps(json_body).encode() if json_body is not None else None
        if idempotent is None:
            idempotent = method.upper() == "GET"
        attempts = Attempts(self._policy, self._rng)
        refreshed = force_refresh
        tries = 0
        while True:
            try:
                reply = await self._send(
                    method,
                    url,
                    relative,
                    headers=headers,
                    content=content,
                    retry=tries > 0,
                    force_refresh=force_refresh,
                )
            except httpx.TransportError as exc:
                tries += 1
                await self._after_transport_error(exc, attempts, method, endpoint, idempotent)
                continue
            finally:
                force_refresh = False
            tries += 1
            if 200 <= reply.status < 300:
                try:
                    body = _decode_object(reply.content)
                    if validate is not None:
                        validate(body)
                except ValueError as exc:
                    self.stats.record_error(endpoint)
                    failure = Failure(
                        f"an incomplete or invalid JSON body ({exc})",
                        status=reply.status,
                        request_id=reply.request_id,
                    )
                    if not idempotent:
                        raise self._not_retried(failure, method, endpoint) from None
                    await self._wait(attempts, failure, None, method, endpoint)
                    continue
                return body
            body_json = self._error_body(reply)
            code, graph_message, request_id = parse_error_body(body_json)
            detail = f"HTTP {reply.status} {code or ''}".rstrip()
            if graph_message:
                detail += f": {graph_message.strip()[:200]}"
            failure = Failure(
                detail,
                status=reply.status,
                code=code,
                request_id=request_id or reply.request_id,
            )
            if reply.status == 401 and not refreshed:
                refreshed = force_refresh = True
                continue
            retryable = reply.status == 429 or (
                reply.status in RETRYABLE_STATUS and (idempotent or reply.status == 503)
            )
            if retryable:
                if reply.status == 429:
                    self.gate.throttled(relative)
                retry_after = parse_retry_after(reply.headers.get("Retry-After"))
                await self._wait(attempts, failure, retry_after, method, endpoint)
                continue
            raise graph_error_from_response(
                tenant_id=self.tenant_id,
                method=method,
                url=relative,
                status=reply.status,
                body=body_json,
                headers=reply.headers,
                client_id=self.client_id,
            )

    async def _wait(
        self,
        attempts: Attempts,
        failure: Failure,
        retry_after: float | None,
        method: str,
        endpoint: str,
    ) -> None:
        """Wait before the next try (a 429 pauses the whole tenant), or give up."""
        delay = attempts.next_delay(failure, retry_after)
        if delay is None:
            raise give_up_error(
                attempts,
                tenant_id=self.tenant_id,
                method=method,
                endpoint=endpoint,
                policy=self._policy,
            )
        if failure.throttled:
            self.gate.pause(delay)  # the next admission waits it out, with everyone else
        else:
            await self._sleep(delay)

    async def _after_transport_error(
        self,
        exc: httpx.TransportError,
        attempts: Attempts,
        method: str,
        endpoint: str,
        idempotent: bool,
    ) -> None:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        failure = Failure(detail)
        if _is_tls_failure(exc):
            where = self.settings.ca_bundle or "the system trust store"
            raise GraphUnavailable(
                f"cannot verify the TLS certificate of {self._base.netloc} while sending "
                f"{method} {endpoint} for tenant {self.tenant_id} ({detail}). If a "
                "TLS-inspecting proxy or a local emulator sits in between, set graph.ca_bundle "
                f"to its CA certificate file (now: {where}).",
                tenant_id=self.tenant_id,
                endpoint=endpoint,
            ) from exc
        never_sent = isinstance(exc, _NEVER_SENT)
        if not isinstance(exc, _RETRYABLE_TRANSPORT) or not (idempotent or never_sent):
            raise self._not_retried(failure, method, endpoint) from exc
        await self._wait(attempts, failure, None, method, endpoint)

    def _not_retried(self, failure: Failure, method: str, endpoint: str) -> GraphUnavailable:
        return GraphUnavailable(
            f"{method} {endpoint} for tenant {self.tenant_id} failed with {failure.detail}; it "
            "was not retried because it is not safe to repeat (it may have been applied). "
            "Check the result in the tenant before running it again.",
            tenant_id=self.tenant_id,
            endpoint=endpoint,
            status=failure.status,
            request_id=failure.request_id,
        )

    @staticmethod
    def _error_body(reply: _Reply) -> Any:
        try:
            return json.loads(reply.content) if reply.content else None
        except ValueError:
            return None
