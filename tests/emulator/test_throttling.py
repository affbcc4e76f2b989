"""Graph's throttling model: token buckets on an injected clock, and over the wire."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from remit.emulator.clock import EmulatorClock
from remit.emulator.endpoints import (
    CA_BUCKET,
    IDENTITY_BUCKET,
    INTUNE_BUCKET,
    OUTLOOK_BUCKET,
    REPORTS_BUCKET,
    classify,
)
from remit.emulator.graph import _cost
from remit.emulator.odata import parse_query
from remit.emulator.server import EmulatorServer
from remit.emulator.throttling import Throttler, identity_capacity

from .factories import make_tenant
from .helpers import Session, error_of

Start = Callable[..., tuple[EmulatorServer, Session]]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _allowed(throttler: Throttler, bucket: str, cost: int, times: int, **kw: object) -> int:
    count = 0
    for _ in range(times):
        if throttler.charge("t", bucket, cost, **kw) is None:  # type: ignore[arg-type]
            count += 1
    return count


@pytest.mark.parametrize(("users", "capacity"), [(10, 3500), (50, 5000), (500, 5000), (501, 8000)])
def test_identity_capacity_by_tenant_size(users: int, capacity: int) -> None:
    assert identity_capacity(users) == capacity


def test_identity_bucket_spends_resource_units_and_refills() -> None:
    clock = FakeClock()
    throttler = Throttler(clock)
    assert _allowed(throttler, IDENTITY_BUCKET, 2, 1750, user_count=10) == 1750
    wait = throttler.charge("t", IDENTITY_BUCKET, 2, user_count=10)
    assert wait == pytest.approx(4 / 350)  # 2 units short after the throttled request counted
    assert throttler.charge("t", "identity", 2, user_count=10) is not None
    clock.now += 10  # a full window refills 3,500 units, less the 4 the throttled requests owe
    assert _allowed(throttler, IDENTITY_BUCKET, 2, 1750, user_count=10) == 1748
    clock.now += 20
    assert _allowed(throttler, IDENTITY_BUCKET, 2, 1750, user_count=10) == 1750
    # Another tenant has its own bucket.
    assert throttler.charge("other", IDENTITY_BUCKET, 2, user_count=10) is None


def test_reports_allow_five_requests_per_ten_seconds() -> None:
    clock = FakeClock()
    throttler = Throttler(clock)
    assert _allowed(throttler, REPORTS_BUCKET, 1, 5) == 5
    wait = throttler.charge("t", REPORTS_BUCKET, 1)
    assert wait == pytest.approx(4.0)  # throttled requests still count
    clock.now += 4.0
    assert throttler.charge("t", REPORTS_BUCKET, 1) is None


def test_conditional_access_intune_and_sign_in_activity_limits() -> None:
    clock = FakeClock()
    throttler = Throttler(clock)
    assert _allowed(throttler, CA_BUCKET, 1, 3) == 1
    clock.now += 10
    assert _allowed(throttler, INTUNE_BUCKET, 1, 2100) == 2000
    assert _allowed(throttler, IDENTITY_BUCKET, 1, 12, sign_in_activity=True) == 10


def test_mailbox_concurrency_is_four() -> None:
    throttler = Throttler(FakeClock())
    assert [throttler.enter_mailbox("t", "m") for _ in range(5)] == [True] * 4 + [False]
    assert throttler.enter_mailbox("t", "other") is True
    throttler.leave_mailbox("t", "m")
    assert throttler.enter_mailbox("t", "m") is True
    assert _allowed(throttler, OUTLOOK_BUCKET, 1, 3, mailbox="m") == 3


def test_disabled_model_never_throttles() -> None:
    throttler = Throttler(FakeClock(), enabled=False)
    assert _allowed(throttler, CA_BUCKET, 1, 50) == 50


def test_costs_follow_the_documented_rules() -> None:
    users = classify("users")
    assert _cost(users, parse_query({})) == 2
    assert _cost(users, parse_query({"$select": "id"})) == 1
    assert _cost(users, parse_query({"$expand": "manager"})) == 3
    assert _cost(classify("subscribedSkus"), parse_query({})) == 3
    assert _cost(classify("groups/abc/members"), parse_query({})) == 3
    assert _cost(classify("domains"), parse_query({"$select": "id"})) == 1


def test_emulated_clock_scales_time_but_not_token_lifetimes() -> None:
    real = FakeClock()
    wall = FakeClock()
    wall.now = 1_000_000.0
    clock = EmulatorClock(0.1, monotonic=real, wall=wall)
    real.now, wall.now = 1.0, 1_000_001.0
    assert clock.now() == pytest.approx(10.0)
    assert clock.wall_timestamp() == pytest.approx(1_000_010.0)
    assert clock.token_timestamp() == pytest.approx(1_000_001.0)
    clock.advance(5)
    assert clock.now() == pytest.approx(15.0)
    assert clock.token_timestamp() == pytest.approx(1_000_006.0)
    assert clock.to_real_seconds(4.0) == pytest.approx(0.4)


def test_reports_are_throttled_over_the_wire_with_a_scaled_retry_after(start: Start) -> None:
    _server, session = start(time_scale=0.5)
    session.token()
    statuses = [session.get("auditLogs/directoryAudits").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    throttled = session.get("auditLogs/directoryAudits")
    assert throttled.status_code == 429
    # 3 requests' worth of tokens owed at 0.5 per emulated second, at half speed: about 3 s.
    assert 2.0 < float(throttled.headers["Retry-After"]) <= 3.0
    assert error_of(throttled)[0] == "TooManyRequests"
    stats = session.control("GET", "stats").json()["tenants"][session.spec.tenant_id]
    assert stats["auditLogs/directoryAudits"]["throttled"] == 2


def test_conditional_access_throttling_has_no_retry_after(start: Start) -> None:
    _server, session = start(make_tenant("ca"))
    session.token()
    responses = [session.get("identity/conditionalAccess/policies") for _ in range(3)]
    assert responses[0].status_code == 200
    throttled = [r for r in responses if r.status_code == 429]
    assert throttled
    assert all("Retry-After" not in r.headers for r in throttled)
    assert session.control("DELETE", "throttling").status_code == 200
    assert session.get("identity/conditionalAccess/policies").status_code == 200
