"""Access reviews (pure): items from a snapshot and a map, item numbers, actions, the schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from remit.errors import InvalidInput
from remit.governance.model import ControlEntry, ControlMapDoc, Raci
from remit.governance.reviews import (
    DecidedItem,
    Decision,
    ReviewKind,
    actions,
    add_months,
    is_due,
    next_due,
    outcome,
    parse_items,
    privileged_items,
    raci_items,
)
from tests.monitoring.builders import HELPDESK, NOW, GraphTenant, approve, control_map, upn


def test_privileged_items_list_every_holder_and_how_each_drifts() -> None:
    tenant = GraphTenant()
    ann, ben = tenant.user("ann"), tenant.user("ben")
    tenant.assign(ann)
    group = tenant.group("Helpdesk", [ben])
    tenant.assign(group, HELPDESK)
    approved = control_map(approve(upn("ann")))
    items = privileged_items(tenant.data(), approved, NOW)
    by_title = {i.title: i for i in items}
    assert sorted(by_title) == [
        "Helpdesk — Helpdesk Administrator (active, permanent)",
        "ann@contoso.example — Global Administrator (active, permanent)",
        "ben@contoso.example — Helpdesk Administrator (active, permanent, through group Helpdesk)",
    ]
    assert (
        by_title["ann@contoso.example — Global Administrator (active, permanent)"].details["drift"]
        is None
    )
    ben_item = next(i for i in items if i.details["principal"] == upn("ben"))
    assert ben_item.details["drift"] == "unapproved-privileged"
    assert ben_item.details["via_group"] == "Helpdesk"
    assert ben_item.key == f"{ben}:{HELPDESK}:active:{group}"
    assert len({i.key for i in items}) == 3
    # Without a map, items carry no drift mark at all.
    assert {i.details["drift"] for i in privileged_items(tenant.data())} == {None}


def test_raci_items_show_responsible_and_accountable() -> None:
    doc = ControlMapDoc(
        controls={
            "MS.AAD.7.1": ControlEntry(
                raci=Raci(responsible=["MSP service desk"], accountable="ana (client)")
            ),
            "MS.AAD.3.1": ControlEntry(),
        }
    )
    items = raci_items(doc)
    assert [i.key for i in items] == ["MS.AAD.3.1", "MS.AAD.7.1"]
    assert items[1].title == "MS.AAD.7.1 — R: MSP service desk; A: ana (client)"
    assert items[0].title == "MS.AAD.3.1 — R: nobody; A: nobody"
    assert items[1].details["status"] == "planned"


@pytest.mark.parametrize(
    ("text", "numbers"), [("3", [3]), ("1-3", [1, 2, 3]), ("1,3, 4-5", [1, 3, 4, 5]), ("2,2", [2])]
)
def test_item_numbers(text: str, numbers: list[int]) -> None:
    assert parse_items(text, 5) == numbers


@pytest.mark.parametrize("text", ["0", "6", "4-2", "x", "1-", ""])
def test_bad_item_numbers(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_items(text, 5)


def decided(number: int, decision: Decision | None, **details: str | bool | None) -> DecidedItem:
    return DecidedItem(
        number,
        f"k{number}",
        f"item {number}",
        dict(details),
        decision,
        note="",
        decided_by="ana",
        decided_at=NOW,
    )


def test_revokes_become_actions_and_the_outcome_keeps_every_decision() -> None:
    items = [
        decided(1, Decision.KEEP, principal="ann@x", role="Global Administrator", kind="active"),
        decided(
            2,
            Decision.REVOKE,
            principal="ben@x",
            role="Helpdesk Administrator",
            kind="active",
            via_group="Helpdesk",
        ),
    ]
    assert actions(ReviewKind.PRIVILEGED, items) == [
        "remove Helpdesk Administrator (active) from ben@x (remove them from group Helpdesk) "
        "in Entra ID"
    ]
    raci = [decided(1, Decision.REVOKE, control="MS.AAD.7.1")]
    assert actions(ReviewKind.RACI, raci) == ["update the RACI of MS.AAD.7.1 in the control map"]
    result = outcome(ReviewKind.PRIVILEGED, items)
    assert (result["items"], result["kept"], result["revoked"]) == (2, 1, 1)
    assert result["decisions"][1] == {  # type: ignore[index]
        "number": 2,
        "key": "k2",
        "title": "item 2",
        "decision": "revoke",
        "note": "",
        "decided_by": "ana",
        "decided_at": NOW.isoformat(),
    }


def test_the_schedule_weekly_for_raci_monthly_for_privileged() -> None:
    closed = datetime(2026, 1, 31, 9, tzinfo=UTC)
    assert next_due(ReviewKind.RACI, closed) == closed + timedelta(days=7)
    assert next_due(ReviewKind.PRIVILEGED, closed) == datetime(2026, 2, 28, 9, tzinfo=UTC)
    assert add_months(datetime(2026, 12, 15, tzinfo=UTC), 1) == datetime(2027, 1, 15, tzinfo=UTC)
    assert next_due(ReviewKind.RACI, None) is None
    assert is_due(ReviewKind.RACI, None, closed)  # never reviewed: due now
    assert not is_due(ReviewKind.RACI, closed, closed + timedelta(days=6))
    assert is_due(ReviewKind.RACI, closed, closed + timedelta(days=7))
    assert not is_due(ReviewKind.PRIVILEGED, closed, closed + timedelta(days=27))
