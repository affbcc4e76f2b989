"""The retry budget of one logical request, shared by top-level requests and batch items.

What is retried, and when, is decided in one place: :meth:`Attempts.next_delay` says how long
to wait before the next try, or None when the budget (``max_retries`` retries, or
``max_throttle_wait_seconds`` of accumulated waiting) is spent. :func:`give_up_error` then
builds the error to raise: ThrottledTooLong when the last failure was a 429, else
GraphUnavailable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from remit.config import GraphSettings
from remit.errors import GraphError, GraphUnavailable, ThrottledTooLong
from remit.graph.throttle import backoff_delay

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int
    max_wait: float
    backoff_base: float
    backoff_cap: float

    @classmethod
    def from_settings(cls, settings: GraphSettings) -> RetryPolicy:
        return cls(
            max_retries=settings.max_retries,
            max_wait=settings.max_throttle_wait_seconds,
            backoff_base=settings.backoff_base_seconds,
            backoff_cap=settings.backoff_max_seconds,
        )


@dataclass(slots=True)
class Failure:
    """The last thing that went wrong: a status, or a description of a transport/body problem."""

    detail: str
    status: int | None = None
    code: str | None = None
    request_id: str | None = None

    @property
    def throttled(self) -> bool:
        return self.status == 429


class Attempts:
    """Counts retries and waiting for one logical request."""

    def __init__(self, policy: RetryPolicy, rng: random.Random) -> None:
        self._policy = policy
        self._rng = rng
        self.retries = 0
        self.waited = 0.0
        self.throttled = 0
        self.last: Failure | None = None
        self.refused_wait: float | None = None  # a wait that would have broken the budget

    def next_delay(self, failure: Failure, retry_after: float | None) -> float | None:
        """Seconds to wait before retrying after ``failure``; None when the budget is spent."""
        self.last = failure
        self.throttled += int(failure.throttled)
        if self.retries >= self._policy.max_retries:
            return None
        if retry_after is None:
            delay = backoff_delay(
                self.retries + 1, self._policy.backoff_base, self._policy.backoff_cap, self._rng
            )
        else:
            delay = retry_after
        if self.waited + delay > self._policy.max_wait:
            self.refused_wait = delay
            return None
        self.retries += 1
        self.waited += delay
        return delay


def give_up_error(
    attempts: Attempts, *, tenant_id: str, method: str, endpoint: str, policy: RetryPolicy
) -> GraphError:
    """The error for a request whose retry budget is spent."""
    last = attempts.last or Failure("no answer")
    tries = attempts.retries + 1
    limits = (
        f"limits: graph.max_retries={policy.max_retries}, "
        f"graph.max_throttle_wait_seconds={policy.max_wait:g}"
    )
    budget = (
        f"after {tries} attempt{'s' if tries != 1 else ''} and {attempts.waited:.1f} s of waiting"
    )
    if attempts.refused_wait is not None:
        budget += f"; Graph asked for {attempts.refused_wait:.1f} s more"
    rid = f", request-id {last.request_id}" if last.request_id else ""
    error_type: type[GraphError] = ThrottledTooLong if last.throttled else GraphUnavailable
    if last.throttled:
        message = (
            f"Graph kept throttling {method} {endpoint} for tenant {tenant_id}: "
            f"{attempts.throttled} answer{'s were' if attempts.throttled != 1 else ' was'} "
            f"429 Too Many Requests, {budget} ({limits}{rid}). Run again later, or lower "
            "collect.tenant_concurrency (and graph.max_concurrency_per_tenant) so fewer "
            "requests reach this tenant at once."
        )
    else:
        message = (
            f"Graph kept failing {method} {endpoint} for tenant {tenant_id}: last {last.detail}, "
            f"{budget} ({limits}{rid}). This is usually temporary: run again later; if it "
            "persists, check the network path to Graph (proxy, firewall), graph.base_url, and "
            "Microsoft 365 service health."
        )
    return error_type(
        message,
        tenant_id=tenant_id,
        endpoint=endpoint,
        status=last.status,
        code=last.code,
        request_id=last.request_id,
    )
