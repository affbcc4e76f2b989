"""`remit review` end to end: start, show, decide, close as evidence, what is due, errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from tests.cli.runner import Cli, json_of


@pytest.fixture
def server(
    emulator_factory: Callable[..., EmulatorServer], tenants: list[TenantSpec]
) -> EmulatorServer:
    """The CLI tests' emulator without its throttling model: collections here run back to back,
    and how Remit copes with throttling is tested elsewhere."""
    return emulator_factory(tenants, throttling=False)


def test_a_privileged_review_from_start_to_close(added: Cli) -> None:
    added.ok("inventory", "collect", "-t", "contoso")
    assert "contoso" in added.ok("review", "due").out  # never reviewed: due now
    review = json_of(
        added.ok(
            "review",
            "start",
            "-t",
            "contoso",
            "--kind",
            "privileged",
            "--reviewer",
            "ana",
            "--json",
        )
    )
    number = review["id"]
    assert review["kind"] == "privileged"
    assert review["reviewer"] == "ana"
    assert [i["number"] for i in review["items"]] == [1]  # contoso has one Global Administrator
    assert "Global Administrator" in review["items"][0]["title"]

    shown = added.ok("review", "show", str(number)).out
    assert "undecided" in shown
    result = added("review", "close", str(number))
    assert result.code == 9
    assert "1 undecided item(s)" in result.one_error_line()

    decided = added.ok("review", "decide", str(number), "1", "revoke", "--note", "left the company")
    assert "1/1 decided" in decided.out
    shown = added.ok("review", "show", str(number)).out
    assert "Actions for a technician" in shown
    assert "remove Global Administrator" in shown

    closed = added.ok("review", "close", str(number))
    assert "0 kept, 1 revoked" in closed.out
    assert "in Entra ID — left the company" in closed.out
    evidence = json_of(added.ok("review", "show", str(number), "--json"))
    assert evidence["closed_by"] == "ana"
    assert evidence["outcome"]["decisions"][0]["decision"] == "revoke"
    assert evidence["outcome"]["decisions"][0]["decided_by"] == "ana"

    later = added("review", "decide", str(number), "1", "keep")
    assert later.code == 9
    assert "cannot change" in later.one_error_line()
    listed = json_of(added.ok("review", "list", "-t", "contoso", "--json"))
    assert [r["id"] for r in listed] == [number]
    assert "closed" in added.ok("review", "list").out
    due = json_of(added.ok("review", "due", "-t", "contoso", "--json"))
    assert [d["kind"] for d in due] == ["raci"]  # privileged was just reviewed
    every = json_of(added.ok("review", "due", "--all", "--json"))
    privileged = next(d for d in every if d["kind"] == "privileged")
    assert privileged["due"] is False
    assert privileged["last_closed"] is not None


def test_a_raci_review_covers_every_control_of_the_map(added: Cli) -> None:
    review = json_of(added.ok("review", "start", "-t", "contoso", "--kind", "raci", "--json"))
    assert len(review["items"]) > 10  # the effective map has an entry for every control
    assert all(" — R: " in i["title"] for i in review["items"])
    count = len(review["items"])
    added.ok("review", "decide", str(review["id"]), f"1-{count}", "keep", "--by", "bo")
    closed = json_of(added.ok("review", "close", str(review["id"]), "--by", "bo", "--json"))
    assert closed["outcome"]["kept"] == count
    assert closed["actions"] == []
    again = added("review", "start", "-t", "contoso", "--kind", "raci")
    assert again.code == 0  # the previous one is closed: a new one may start
    twice = added("review", "start", "-t", "contoso", "--kind", "raci")
    assert twice.code == 2
    assert "already has an open raci review" in twice.one_error_line()


def test_bad_input_is_one_line_with_its_exit_code(added: Cli) -> None:
    review = json_of(added.ok("review", "start", "-t", "contoso", "--kind", "raci", "--json"))
    number = str(review["id"])
    for args, code, words in (
        (("review", "show", "999"), 5, "no review 999"),
        (("review", "decide", number, "9999", "keep"), 9, "out of range"),
        (("review", "decide", number, "one", "keep"), 9, "item number"),
        (("review", "start", "-t", "contoso", "--kind", "privileged"), 5, "no usable snapshot"),
        (("review", "start", "-t", "nobody", "--kind", "raci"), 5, "nobody"),
    ):
        result = added(*args)
        assert result.code == code, (args, result.err)
        assert words in result.one_error_line(), args
    assert added("review", "decide", number, "1", "maybe").code == 2  # keep or revoke only
    assert [r["id"] for r in json_of(added.ok("review", "list", "--open", "--json"))] == [
        review["id"]
    ]
