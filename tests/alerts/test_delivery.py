"""deliver(): due rows are sent, failures retried with back-off, nothing is ever lost.

The webhook receiver is a real HTTP server on a loopback port; "down" is a port that refuses
connections, "restarting" is opening the workspace again (the outbox lives in the database).
"""

from __future__ import annotations

import asyncio
import random
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.responses import JSONResponse, PlainTextResponse, Response

from remit.alerts import DeliveryReport, RetryPolicy, deliver, dispatch
from remit.alerts.channels import ChannelType
from remit.alerts.manage import add_channel, add_rule, list_deliveries, requeue
from remit.emulator.tls import TlsFiles
from remit.errors import NotFound
from remit.store.alerts import AlertStore, DeliveryStatus
from remit.workspace import Workspace
from tests.alerts.conftest import HMAC_KEY, NOW, make_alert
from tests.alerts.servers import HttpReceiver, Recorded, closed_port

POLICY = RetryPolicy(max_attempts=4)


class Script:
    """Answers with the given statuses in turn, then 200."""

    def __init__(self, *statuses: int, retry_after: str | None = None) -> None:
        self.statuses = list(statuses)
        self.retry_after = retry_after

    def __call__(self, request: Recorded) -> Response:
        status = self.statuses.pop(0) if self.statuses else 200
        headers = {"Retry-After": self.retry_after} if self.retry_after and status >= 400 else {}
        return PlainTextResponse("busy" if status >= 400 else "ok", status, headers=headers)


def webhook_to(workspace: Workspace, url: str, name: str = "hook") -> None:
    add_channel(workspace, name, ChannelType.WEBHOOK, {"url": url, "timeout": 5}, HMAC_KEY)
    add_rule(workspace, f"to-{name}", channels=[name], dedupe_hours=0)


def run(workspace: Workspace, now: datetime) -> DeliveryReport:
    return asyncio.run(deliver(workspace, now=now, policy=POLICY, rng=random.Random(7)))


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as server:
        yield server


def test_due_alerts_are_sent_and_marked(workspace: Workspace, receiver: HttpReceiver) -> None:
    webhook_to(workspace, receiver.url + "/hooks/remit")
    dispatch(workspace, [make_alert(key="a"), make_alert(key="b")], now=NOW)
    report = asyncio.run(deliver(workspace, now=NOW))
    assert (report.sent, report.failed, report.retrying) == (2, 0, 0)
    assert [r.path for r in receiver.requests] == ["/hooks/remit", "/hooks/remit"]
    assert [r.json()["alert"]["dedupe_key"] for r in receiver.requests] == ["a", "b"]
    sent = list_deliveries(workspace, status=DeliveryStatus.SENT)
    assert {d.attempts for d in sent} == {1}
    assert {d.sent_at for d in sent} == {NOW}
    # Nothing is due any more: a second run sends nothing.
    again = asyncio.run(deliver(workspace, now=NOW + timedelta(hours=1)))
    assert (again.outcomes, len(receiver.requests)) == ((), 2)


def test_receiver_refusing_twice_then_accepting(workspace: Workspace) -> None:
    with HttpReceiver(Script(503, 500)) as receiver:
        webhook_to(workspace, receiver.url)
        dispatch(workspace, [make_alert()], now=NOW)
        first = run(workspace, now=NOW)
        (outcome,) = first.outcomes
        assert outcome.status is DeliveryStatus.PENDING
        assert "answered 503" in (outcome.error or "")
        # The retry is scheduled with back-off: not due at once, due within the first step.
        assert outcome.next_attempt_at is not None
        assert NOW + timedelta(seconds=30) <= outcome.next_attempt_at <= NOW + timedelta(minutes=1)
        assert run(workspace, now=NOW + timedelta(seconds=10)).outcomes == ()
        second = run(workspace, now=NOW + timedelta(minutes=1))
        (outcome,) = second.outcomes
        assert outcome.status is DeliveryStatus.PENDING
        assert outcome.attempts == 2
        assert outcome.next_attempt_at is not None
        assert outcome.next_attempt_at >= NOW + timedelta(minutes=2)  # the step doubled
        third = run(workspace, now=NOW + timedelta(minutes=5))
        assert [o.status for o in third.outcomes] == [DeliveryStatus.SENT]
    (delivery,) = list_deliveries(workspace)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, None)
    # The receiver saw the same delivery id three times, with the attempt counted.
    ids = {r.json()["delivery_id"] for r in receiver.requests}
    assert ids == {delivery.uid}
    assert [r.json()["attempt"] for r in receiver.requests] == [1, 2, 3]


def test_receiver_down_then_back_across_a_restart(workspace: Workspace, tmp_path: Path) -> None:
    sock = closed_port()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    webhook_to(workspace, url)
    dispatch(workspace, [make_alert(key="a"), make_alert(key="b")], now=NOW)
    down = run(workspace, now=NOW)
    # The first alert is tried and fails; the second waits for the channel without an attempt.
    assert [o.status for o in down.outcomes] == [DeliveryStatus.PENDING]
    assert "cannot reach the webhook receiver" in (down.outcomes[0].error or "")
    assert down.deferred == 1
    workspace.close()

    # "Restart": a new process opens the workspace; the receiver is back on the same port.
    with Workspace.open(workspace.path, environ={}) as reopened, HttpReceiver(sock=sock) as back:
        pending = list_deliveries(reopened, status=DeliveryStatus.PENDING)
        assert sorted(d.attempts for d in pending) == [0, 1]
        report = run(reopened, now=NOW + timedelta(hours=1))
        assert report.sent == 2
        assert sorted(r.json()["alert"]["dedupe_key"] for r in back.requests) == ["a", "b"]
        by_key = {d.alert.dedupe_key: d for d in list_deliveries(reopened)}
    assert (by_key["a"].status, by_key["a"].attempts) == (DeliveryStatus.SENT, 2)
    assert (by_key["b"].status, by_key["b"].attempts) == (DeliveryStatus.SENT, 1)


def test_after_max_attempts_it_is_failed_kept_and_listed(workspace: Workspace) -> None:
    sock = closed_port()
    webhook_to(workspace, f"http://127.0.0.1:{sock.getsockname()[1]}/")
    dispatch(workspace, [make_alert()], now=NOW)
    moment = NOW
    for _ in range(POLICY.max_attempts):
        report = run(workspace, now=moment)
        moment += POLICY.max_delay
    assert [o.status for o in report.outcomes] == [DeliveryStatus.FAILED]
    (failed,) = list_deliveries(workspace, status=DeliveryStatus.FAILED)
    assert failed.attempts == POLICY.max_attempts
    assert failed.last_error is not None
    assert failed.last_error.startswith(f"gave up after {POLICY.max_attempts} attempts")
    # Failed rows are never sent by themselves...
    assert run(workspace, now=moment + timedelta(days=1)).outcomes == ()
    # ...but `remit alerts retry` makes them pending again, and then they go.
    assert requeue(workspace, [failed.id]) == 1
    with HttpReceiver(sock=sock) as back:
        assert run(workspace, now=moment + timedelta(days=1)).sent == 1
        assert len(back.requests) == 1
    sock.close()


def test_a_4xx_fails_at_once_but_408_and_429_are_retried(workspace: Workspace) -> None:
    with HttpReceiver(Script(404, 429, 408, retry_after="120")) as receiver:
        webhook_to(workspace, receiver.url)
        dispatch(workspace, [make_alert(key="gone")], now=NOW)
        (outcome,) = run(workspace, now=NOW).outcomes
        assert outcome.status is DeliveryStatus.FAILED
        assert (outcome.error or "").endswith("answered 404: busy")
        dispatch(workspace, [make_alert(key="slow")], now=NOW)
        (throttled,) = run(workspace, now=NOW).outcomes
        assert throttled.status is DeliveryStatus.PENDING
        # Retry-After (120 s) is longer than the first back-off step: it wins.
        assert throttled.next_attempt_at is not None
        assert throttled.next_attempt_at >= NOW + timedelta(seconds=120)
        (timeout,) = run(workspace, now=NOW + timedelta(minutes=3)).outcomes
        assert (timeout.status, timeout.attempts) == (DeliveryStatus.PENDING, 2)
        (done,) = run(workspace, now=NOW + timedelta(hours=1)).outcomes
        assert done.status is DeliveryStatus.SENT


def test_a_crashed_sender_leaves_its_claim_due_again(workspace: Workspace) -> None:
    webhook_to(workspace, "http://127.0.0.1:9/")
    dispatch(workspace, [make_alert()], now=NOW)
    lease = timedelta(minutes=10)
    with workspace.session() as session:  # claim, then "crash" before recording anything
        claimed = AlertStore(session, workspace.secrets).claim_due(NOW, lease=lease, limit=10)
    assert len(claimed) == 1
    with workspace.session() as session:
        store = AlertStore(session, workspace.secrets)
        assert store.claim_due(NOW + lease / 2, lease=lease, limit=10) == []  # still leased
        again = store.claim_due(NOW + lease, lease=lease, limit=10)
    assert [d.id for d in again] == [claimed[0].id]
    assert again[0].attempts == 0


def test_channels_are_sent_to_concurrently(workspace: Workspace) -> None:
    """Two slow receivers: both are waiting for their request at the same time."""
    both_waiting = asyncio.Event()
    arrived: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        arrived.append(request.url.host)
        if len(arrived) == 2:
            both_waiting.set()
        await asyncio.wait_for(both_waiting.wait(), 5)
        return httpx.Response(200, text="ok")

    for name in ("one", "two"):
        webhook_to(workspace, f"https://{name}.example/hook", name)
    dispatch(workspace, [make_alert()], now=NOW)
    report = asyncio.run(
        deliver(workspace, now=NOW, transport=httpx.MockTransport(handler), policy=POLICY)
    )
    assert report.sent == 2
    assert sorted(arrived) == ["one.example", "two.example"]


def test_a_permanent_failure_does_not_stop_the_channel(workspace: Workspace) -> None:
    answers = iter([JSONResponse({"error": "bad"}, 400), JSONResponse({}, 200)])
    with HttpReceiver(lambda _: next(answers)) as receiver:
        webhook_to(workspace, receiver.url)
        dispatch(workspace, [make_alert(key="a"), make_alert(key="b")], now=NOW)
        report = run(workspace, now=NOW)
    assert [o.status for o in report.outcomes] == ["failed", "sent"]


def test_deliveries_to_a_removed_channel_are_failed_not_dropped(workspace: Workspace) -> None:
    from remit.alerts.manage import remove_channel, remove_rule

    webhook_to(workspace, "http://127.0.0.1:9/")
    dispatch(workspace, [make_alert()], now=NOW)
    remove_rule(workspace, "to-hook")
    _, orphaned = remove_channel(workspace, "hook")
    assert orphaned == 1
    (kept,) = list_deliveries(workspace, status=DeliveryStatus.FAILED)
    assert kept.channel == "hook"
    assert "channel was removed" in (kept.last_error or "")


def test_a_channel_that_cannot_be_used_now_keeps_its_alerts(
    workspace: Workspace, tls: TlsFiles, tmp_path: Path
) -> None:
    bundle = tmp_path / "internal-ca.pem"
    shutil.copyfile(tls.ca, bundle)
    options = {"url": "https://hooks.example/", "ca_bundle": str(bundle)}
    add_channel(workspace, "hook", ChannelType.WEBHOOK, options, HMAC_KEY)
    add_rule(workspace, "all", channels=["hook"], dedupe_hours=0)
    dispatch(workspace, [make_alert(key="a"), make_alert(key="b")], now=NOW)
    bundle.unlink()  # someone tidied up the CA file
    report = run(workspace, NOW)
    (outcome,) = report.outcomes
    assert outcome.status is DeliveryStatus.PENDING
    assert "channel 'hook' cannot be used: --ca-bundle" in (outcome.error or "")
    assert report.deferred == 1
    assert {d.status for d in list_deliveries(workspace)} == {DeliveryStatus.PENDING}


def test_delivering_for_an_unknown_channel_is_an_error(workspace: Workspace) -> None:
    with pytest.raises(NotFound, match="no alert channel 'nope'"):
        asyncio.run(deliver(workspace, channel="nope"))
