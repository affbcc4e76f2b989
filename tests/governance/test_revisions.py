"""Revisions: content hashes that ignore order and spelling, and diffs between any two layers."""

from __future__ import annotations

from datetime import date

from remit.governance.model import ControlMapDoc
from remit.governance.paths import FieldPath
from remit.governance.revisions import Change, ChangeKind, content_hash, diff


def doc(data: dict[str, object]) -> ControlMapDoc:
    return ControlMapDoc.model_validate(data)


BEFORE = doc(
    {
        "controls": {
            "backup.teams": {"status": "planned", "raci": {"accountable": "MSP"}},
            "identity.mfa-all-users": {"evidence": "CA export"},
        },
        "privileged_access": [
            {"principal": "ana@contoso.com", "role": "Global Administrator", "until": "2027-01-01"},
            {"principal": "bob@contoso.com", "role": "Exchange Administrator"},
        ],
        "emergency_accounts": ["bg1@contoso.com"],
    }
)


def test_the_hash_ignores_order_and_spelling_but_not_content() -> None:
    shuffled = doc(
        {
            "controls": {
                "identity.mfa-all-users": {"evidence": "CA export"},
                "backup.teams": {"raci": {"accountable": "MSP"}, "status": "planned"},
            },
            "privileged_access": [
                {"principal": "BOB@contoso.com", "role": "Exchange Administrator"},
                {
                    "principal": "ana@contoso.com",
                    "role": "global administrator",
                    "until": "2027-01-01",
                },
            ],
            "emergency_accounts": ["BG1@contoso.com"],
        }
    )
    assert content_hash(shuffled) == content_hash(BEFORE)
    assert len(content_hash(BEFORE)) == 64
    changed = BEFORE.model_copy(update={"emergency_accounts": ["bg2@contoso.com"]})
    assert content_hash(changed) != content_hash(BEFORE)
    # Setting a value (even to the default) differs from not setting it: it masks lower layers.
    explicit = doc({"controls": {"backup.teams": {"evidence": ""}}})
    assert content_hash(explicit) != content_hash(ControlMapDoc())


def test_diff_names_what_was_added_removed_and_changed() -> None:
    after = doc(
        {
            "controls": {
                "backup.teams": {"status": "implemented", "raci": {"accountable": "MSP"}},
                "identity.mfa-all-users": {},
            },
            "privileged_access": [
                {
                    "principal": "ana@contoso.com",
                    "role": "Global Administrator",
                    "until": "2027-06-30",
                },
            ],
            "emergency_accounts": ["bg1@contoso.com", "bg2@contoso.com"],
        }
    )
    changes = diff(BEFORE, after)
    summary = [(str(c.path), c.kind) for c in changes]
    assert summary == [
        ("controls[backup.teams].status", ChangeKind.CHANGED),
        ("controls[identity.mfa-all-users].evidence", ChangeKind.REMOVED),
        ("privileged_access[ana@contoso.com, Global Administrator]", ChangeKind.CHANGED),
        ("privileged_access[bob@contoso.com, Exchange Administrator]", ChangeKind.REMOVED),
        ("emergency_accounts[bg2@contoso.com]", ChangeKind.ADDED),
    ]
    lines = [c.line() for c in changes]
    assert lines[0] == "~ controls[backup.teams].status: planned → implemented"
    assert lines[1] == "- controls[identity.mfa-all-users].evidence: CA export"
    assert lines[2] == (
        "~ privileged_access[ana@contoso.com, Global Administrator]: until 2027-01-01 → 2027-06-30"
    )
    assert lines[4] == "+ emergency_accounts[bg2@contoso.com]: bg2@contoso.com"
    assert changes[2].as_json()["before"]["until"] == str(date(2027, 1, 1))
    assert diff(BEFORE, BEFORE) == []


def test_effective_diffs_compare_every_value() -> None:
    # As layers nothing differs (neither sets consulted); as effective maps both are complete.
    a = doc({"controls": {"backup.teams": {"status": "planned"}}})
    b = doc({"controls": {"backup.teams": {"status": "planned", "raci": {"consulted": []}}}})
    assert [str(c.path) for c in diff(a, b)] == ["controls[backup.teams].raci.consulted"]
    assert diff(a, b, only_set=False) == []


def test_a_change_serialises_for_json() -> None:
    change = Change(FieldPath("objectives", "exchange"), None, {"rto": "PT4H"})
    assert change.as_json() == {
        "change": "added",
        "path": "objectives[exchange]",
        "section": "objectives",
        "key": "exchange",
        "field": "",
        "before": None,
        "after": {"rto": "PT4H"},
    }
