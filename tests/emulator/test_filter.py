"""The $filter parser and evaluator, and the OData option parsing around it (no network)."""

from __future__ import annotations

import pytest

from remit.emulator.endpoints import classify, path_template
from remit.emulator.filter import FilterSyntaxError, parse_filter
from remit.emulator.odata import parse_expand, parse_query
from remit.emulator.responses import GraphError

ITEM = {
    "id": "1",
    "displayName": "O'Brien Admin",
    "accountEnabled": True,
    "userType": "Member",
    "createdDateTime": "2026-03-01T10:00:00Z",
    "score": 7,
    "manager": None,
    "assignedLicenses": [{"skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df"}],
    "proxyAddresses": ["SMTP:obrien@contoso.example", "smtp:o@contoso.example"],
    "signInActivity": {"lastSignInDateTime": "2026-10-01T00:00:00Z"},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("displayName eq 'o''brien admin'", True),
        ("accountEnabled eq true and userType eq 'Member'", True),
        ("accountEnabled eq false or userType eq 'Guest'", False),
        ("not (userType eq 'Guest')", True),
        ("userType in ('Guest', 'member')", True),
        ("score gt 5 and score le 7", True),
        ("score lt 7", False),
        ("createdDateTime ge 2026-01-01T00:00:00Z", True),
        ("createdDateTime lt 2026-01-01", False),
        ("manager eq null", True),
        ("jobTitle eq null", True),
        ("manager ne null", False),
        ("startswith(displayName, 'o''b')", True),
        ("endswith(displayName, 'ADMIN')", True),
        ("assignedLicenses/any(x:x/skuId eq c7df2760-2c81-4ef7-b578-5b5392b571df)", True),
        ("assignedLicenses/$count eq 1", True),
        ("proxyAddresses/any(p:startswith(p, 'smtp:'))", True),
        ("proxyAddresses/all(p:startswith(p, 'smtp:o@'))", False),
        ("signInActivity/lastSignInDateTime lt 2026-09-01T00:00:00Z", False),
        ("(userType eq 'Guest' or score eq 7) and accountEnabled eq true", True),
    ],
)
def test_filter_evaluates(text: str, expected: bool) -> None:
    assert parse_filter(text).matches(ITEM) is expected


@pytest.mark.parametrize(
    ("text", "advanced"),
    [
        ("userType eq 'Guest'", None),
        ("accountEnabled ne true", ("ne", "accountEnabled")),
        ("not (userType eq 'Guest')", ("not", "")),
        ("endswith(mail, '@contoso.example')", ("endswith", "mail")),
        ("assignedLicenses/$count eq 0", ("eq", "assignedLicenses")),
    ],
)
def test_advanced_constructs_are_recognised(text: str, advanced: tuple[str, str] | None) -> None:
    assert parse_filter(text).advanced == advanced


def test_properties_exclude_lambda_variables() -> None:
    parsed = parse_filter("assignedLicenses/any(x:x/skuId eq 'a') and userType eq 'Guest'")
    assert parsed.properties == {"assignedLicenses", "userType"}


@pytest.mark.parametrize(
    "text", ["", "displayName eq", "eq 'x'", "(userType eq 'Guest'", "a eq 'x' b", "x in (y)"]
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(FilterSyntaxError, match="Invalid filter clause"):
        parse_filter(text)


def test_query_options() -> None:
    options = parse_query(
        {
            "$select": "id, displayName",
            "$top": "5",
            "$count": "true",
            "$orderby": "displayName desc",
        }
    )
    assert options.select == ("id", "displayName")
    assert options.top == 5
    assert options.count is True
    assert options.orderby == (("displayName", True),)
    with pytest.raises(GraphError):
        parse_query({"$top": "many"})
    with pytest.raises(GraphError):
        parse_query({"$count": "maybe"})


def test_nested_expand() -> None:
    expand = parse_expand("policy($expand=rules;$select=id),principal")
    assert set(expand) == {"policy", "principal"}
    assert expand["policy"].select == ("id",)
    assert set(expand["policy"].expand) == {"rules"}


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("users", "users"),
        ("users/8a1c9d7e-0c1b-4f2a-9e3d-1b2c3d4e5f60", "users/{id}"),
        ("users/ada@contoso.example/authentication/methods", "users/{id}/authentication/methods"),
        ("users/delta", "users/delta"),
        ("policies/authorizationPolicy", "policies/authorizationPolicy"),
        ("identity/conditionalAccess/policies/p1", "identity/conditionalAccess/policies/{id}"),
        ("domains/contoso.example", "domains/{id}"),
        ("groups/g1/members/$count", "groups/{id}/members/$count"),
    ],
)
def test_path_templates(path: str, template: str) -> None:
    assert path_template(path) == template


def test_endpoint_policies() -> None:
    users = classify("users")
    assert users.permissions == ("User.Read.All", "Directory.Read.All")
    assert users.allows(frozenset({"Directory.Read.All"}))
    assert users.allows(frozenset({"User.ReadWrite.All"}))
    assert not users.allows(frozenset({"Group.Read.All"}))
    assert classify("roleManagement/directory/roleEligibilitySchedules").license == "P2"
    assert classify("identity/conditionalAccess/namedLocations").license == "P1"
    mailbox = classify("users/abc/messages")
    assert mailbox.mailbox == "abc"
    assert mailbox.permissions == ("Mail.Read",)
