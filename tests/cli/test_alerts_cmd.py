"""`remit alerts ...` end to end: channels (secrets never printed), rules, the outbox, delivery
to a local webhook receiver that is down and comes back, and one-line errors with exit codes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from starlette.responses import PlainTextResponse, Response

from remit.alerts import dispatch
from remit.alerts.channels import ChannelType
from remit.alerts.manage import add_channel, list_channels, list_rules
from remit.domain import Alert, AuthKind, Severity, TenantCredentials
from remit.store.models_alerts import AlertDelivery
from remit.workspace import Workspace
from tests.alerts.servers import HttpReceiver, Recorded, closed_port
from tests.cli.runner import Cli, json_of

KEY = "whsec-0123456789abcdef-fedcba9876543210"
CONTOSO = "11111111-1111-4111-8111-111111111111"
APP = "99999999-9999-4999-8999-999999999999"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the tenant contoso, made once and copied by each test."""
    path = tmp_path_factory.mktemp("alerts-cli") / "ws"
    with Workspace.create(path, environ={}) as workspace, workspace.session() as session:
        workspace.tenants(session).add(
            TenantCredentials(CONTOSO, APP, AuthKind.CLIENT_SECRET, "s"), name="contoso"
        )
    return path


@pytest.fixture
def ws(cli: Cli, tmp_path: Path, template: Path) -> Cli:
    cli.workspace = tmp_path / "ws"
    shutil.copytree(template, cli.workspace)
    cli.keep_secret(KEY)
    return cli


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "hmac.key"
    path.write_text(KEY + "\n", encoding="utf-8")
    return path


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as server:
        yield server


def alert(key: str = "drift:1", severity: Severity = Severity.HIGH) -> Alert:
    return Alert(
        kind="drift.unapproved-privileged",
        severity=severity,
        tenant_id=CONTOSO,
        tenant_name="contoso",
        title="Unapproved Global Administrator: eve@contoso.com",
        text="eve@contoso.com became Global Administrator without an approval.",
        dedupe_key=key,
        occurred_at=datetime.now(UTC),
    )


def raise_alerts(cli: Cli, *alerts: Alert) -> None:
    assert cli.workspace is not None
    with Workspace.open(cli.workspace, environ={}) as workspace:
        dispatch(workspace, list(alerts))


def make_due(cli: Cli) -> None:
    """Let time pass: every pending delivery is due now."""
    assert cli.workspace is not None
    with Workspace.open(cli.workspace, environ={}) as workspace, workspace.session() as session:
        session.execute(update(AlertDelivery).values(next_attempt_at=datetime.now(UTC)))


def test_channels_add_list_and_test(ws: Cli, key_file: Path, receiver: HttpReceiver) -> None:
    added = ws.ok(
        "alerts", "channels", "add", "soc-hook", "--type", "webhook",
        "--url", receiver.url + "/remit", "--secret-file", str(key_file),
    )  # fmt: skip
    assert "Added webhook channel soc-hook" in added.out
    listed = json_of(ws.ok("alerts", "channels", "list", "--json"))
    assert listed == [
        {
            "name": "soc-hook",
            "type": "webhook",
            "target": receiver.url + "/remit",
            "config": {"timeout": 10.0, "ca_bundle": "", "url": receiver.url + "/remit"},
            "secret_fingerprint": listed[0]["secret_fingerprint"],
            "created_at": listed[0]["created_at"],
        }
    ]
    assert len(listed[0]["secret_fingerprint"]) == 8
    assert "soc-hook" in ws.ok("alerts", "channels", "list").out
    tested = ws.ok("alerts", "channels", "test", "soc-hook")
    assert "took the test alert" in tested.out
    (request,) = receiver.requests
    assert request.json()["test"] is True
    assert request.json()["alert"]["kind"] == "test"


def test_secrets_come_from_stdin_or_the_environment(
    ws: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"
    ws.keep_secret(slack, "smtp-pa55")
    ws.ok("alerts", "channels", "add", "chat", "--type", "slack", "--secret-stdin", stdin=slack)
    monkeypatch.setenv("REMIT_CHANNEL_SECRET", "smtp-pa55")
    ws.ok(
        "alerts", "channels", "add", "mail", "--type", "email", "--smtp-host", "smtp.example",
        "--username", "remit", "--sender", "remit@msp.example", "--to", "soc@msp.example",
        "--to", "noc@msp.example",
    )  # fmt: skip
    listed = {c["name"]: c for c in json_of(ws.ok("alerts", "channels", "list", "--json"))}
    assert listed["chat"]["config"] == {"timeout": 10.0, "ca_bundle": ""}
    assert listed["mail"]["config"]["to"] == ["soc@msp.example", "noc@msp.example"]
    assert listed["mail"]["config"]["starttls"] is True


def test_rules_add_list_remove(ws: Cli, key_file: Path) -> None:
    ws.ok("alerts", "channels", "add", "hook", "--type", "webhook",
          "--url", "https://r.example/h", "--secret-file", str(key_file))  # fmt: skip
    added = ws.ok(
        "alerts", "rules", "add", "night-drift", "--channel", "hook", "--kind", "drift.*",
        "--kind", "change.role-*", "--min-severity", "medium", "--tenant", "contoso",
        "--dedupe-hours", "12", "--quiet-hours", "22:00-07:00", "--timezone", "Europe/London",
    )  # fmt: skip
    assert "Added rule night-drift" in added.out
    (rule,) = json_of(ws.ok("alerts", "rules", "list", "--json"))
    assert rule | {"created_at": None} == {
        "name": "night-drift",
        "kinds": ["drift.*", "change.role-*"],
        "min_severity": "medium",
        "tenants": [{"tenant_id": CONTOSO, "name": "contoso"}],
        "channels": ["hook"],
        "dedupe_hours": 12.0,
        "quiet_hours": "22:00-07:00",
        "timezone": "Europe/London",
        "created_at": None,
    }
    assert "22:00-07:00 Europe/London" in ws.ok("alerts", "rules", "list").out
    used = ws("alerts", "channels", "remove", "hook")
    assert used.code == 9
    assert "used by the rule(s) night-drift" in used.one_error_line()
    ws.ok("alerts", "rules", "remove", "night-drift")
    assert "No rules yet" in ws.ok("alerts", "rules", "list").out
    ws.ok("alerts", "channels", "remove", "hook")


def test_delivery_survives_a_receiver_that_is_down(ws: Cli, key_file: Path) -> None:
    sock = closed_port()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/remit"
    ws.ok("alerts", "channels", "add", "hook", "--type", "webhook", "--url", url,
          "--secret-file", str(key_file))  # fmt: skip
    ws.ok("alerts", "rules", "add", "drift", "--channel", "hook", "--kind", "drift.*")
    raise_alerts(ws, alert("a"), alert("b"))

    down = ws("alerts", "deliver")
    assert down.code == 11  # PARTIAL: something is waiting for a retry
    assert "retry hook" in down.out
    assert "1 waiting for a failing channel" in down.out
    pending = json_of(ws.ok("alerts", "list", "--status", "pending", "--json"))
    assert sorted(d["attempts"] for d in pending) == [0, 1]
    assert "retrying" in ws.ok("alerts", "list").out

    make_due(ws)
    with HttpReceiver(sock=sock) as back:
        delivered = ws.ok("alerts", "deliver", "--json")
        assert json_of(delivered)["sent"] == 2
        assert len(back.requests) == 2
    sent = json_of(ws.ok("alerts", "list", "--status", "sent", "--json"))
    assert {d["alert"]["dedupe_key"] for d in sent} == {"a", "b"}
    assert "Nothing is due." in ws.ok("alerts", "deliver").out


def test_failed_deliveries_are_listed_and_retried_by_hand(ws: Cli, key_file: Path) -> None:
    answers = [PlainTextResponse("no such hook", 404)]

    def answer(_: Recorded) -> Response:
        return answers.pop(0) if answers else PlainTextResponse("ok")

    with HttpReceiver(answer) as receiver:
        ws.ok("alerts", "channels", "add", "hook", "--type", "webhook", "--url", receiver.url,
              "--secret-file", str(key_file))  # fmt: skip
        ws.ok("alerts", "rules", "add", "all", "--channel", "hook")
        raise_alerts(ws, alert())
        assert ws("alerts", "deliver").code == 11
        (failed,) = json_of(ws.ok("alerts", "list", "--status", "failed", "--json"))
        assert "answered 404: no such hook" in failed["last_error"]
        retry = ws.ok("alerts", "retry", str(failed["id"]))
        assert "1 delivery(ies) pending again" in retry.out
        ws.ok("alerts", "deliver")
    assert len(receiver.requests) == 2
    assert json_of(ws.ok("alerts", "list", "--status", "failed", "--json")) == []


def test_quiet_hours_show_as_held(ws: Cli, key_file: Path) -> None:
    ws.ok("alerts", "channels", "add", "hook", "--type", "webhook",
          "--url", "https://r.example/", "--secret-file", str(key_file))  # fmt: skip
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)), (now + timedelta(hours=1))
    window = f"{start:%H:%M}-{end:%H:%M}"
    ws.ok("alerts", "rules", "add", "quiet", "--channel", "hook", "--quiet-hours", window)
    raise_alerts(ws, alert("low", Severity.LOW), alert("crit", Severity.CRITICAL))
    listing = {d["alert"]["dedupe_key"]: d for d in json_of(ws.ok("alerts", "list", "--json"))}
    assert listing["low"]["held_until"] is not None
    assert listing["crit"]["held_until"] is None
    assert "held" in ws.ok("alerts", "list").out


def test_channel_test_against_a_dead_receiver_exits_8(ws: Cli, key_file: Path) -> None:
    sock = closed_port()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    ws.ok("alerts", "channels", "add", "hook", "--type", "webhook", "--url", url,
          "--secret-file", str(key_file))  # fmt: skip
    result = ws("alerts", "channels", "test", "hook")
    assert result.code == 8
    assert "did not take the test alert: cannot reach" in result.one_error_line()
    sock.close()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["channels", "add", "x", "--type", "pager"], 2, "'pager' is not one of"),
        (["channels", "add", "x", "--type", "webhook", "--url", "https://r.example"], 9,
         "HMAC signing key is required"),
        (["channels", "add", "x", "--type", "connectwise", "--url", "https://cw.example"], 9,
         "a connectwise channel needs --company-id"),
        (["channels", "add", "x", "--type", "webhook", "--board", "7"], 9,
         "--board does not apply to webhook channels"),
        (["channels", "add", "x", "--type", "autotask", "--priority", "urgent"], 9,
         "--priority 'urgent': give KEY=VALUE"),
        (["channels", "add", "x", "--type", "slack", "--secret-file", "/nonexistent"], 9,
         "--secret-file /nonexistent"),
        (["rules", "add", "r", "--channel", "nope"], 5, "no alert channel 'nope'"),
        (["rules", "add", "r", "--channel", "hook", "--quiet-hours", "10pm-7am"], 9,
         "quiet hours '10pm-7am' are not a window like 22:00-07:00"),
        (["rules", "add", "r", "--channel", "hook", "--quiet-hours", "22:00-07:00",
          "--timezone", "Atlantis/Capital"], 9, "time zone 'Atlantis/Capital' is unknown"),
        (["rules", "add", "r", "--channel", "hook", "--min-severity", "urgent"], 9,
         "--min-severity 'urgent'"),
        (["rules", "add", "r", "--channel", "hook", "--tenant", "northwind"], 5,
         "no tenant 'northwind'"),
        (["rules", "add", "r"], 2, "Missing option '--channel'"),
        (["rules", "remove", "nope"], 5, "no alert rule 'nope'"),
        (["list", "--status", "lost"], 2, "'lost' is not one of"),
        (["retry"], 9, "name failed deliveries by id, or use --all-failed"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_a_documented_exit_code(
    ws: Cli, key_file: Path, args: list[str], code: int, message: str
) -> None:
    assert ws.workspace is not None
    with Workspace.open(ws.workspace, environ={}) as workspace:
        add_channel(workspace, "hook", ChannelType.WEBHOOK, {"url": "https://r.example"}, KEY)
    result = ws("alerts", *args)
    assert result.code == code, result.err
    assert message in result.one_error_line()
    with Workspace.open(ws.workspace, environ={}) as workspace:  # nothing was written
        assert [c.info.name for c in list_channels(workspace)] == ["hook"]
        assert list_rules(workspace) == []
