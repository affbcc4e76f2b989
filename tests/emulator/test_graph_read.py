"""Reading Graph v1.0 from fixture data: paging, $select, $filter, $count, ids, $expand, headers."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from remit.emulator.responses import GRAPH_JSON
from remit.emulator.schema import USER_DEFAULT_PROPERTIES

from .helpers import Session, error_of

EVENTUAL = {"ConsistencyLevel": "eventual"}
DOMAIN = "contoso.onmicrosoft.com"
SKU = str(uuid.uuid5(uuid.NAMESPACE_URL, "contoso/sku"))


def test_users_default_properties_and_headers(contoso: Session) -> None:
    response = contoso.get("users", headers={"client-request-id": "abc-123"})
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPH_JSON
    assert response.headers["client-request-id"] == "abc-123"
    assert response.headers["request-id"]
    assert "ServerInfo" in response.headers["x-ms-ags-diagnostic"]
    assert response.headers["x-ms-resource-unit"] == "2"
    body = response.json()
    assert body["@odata.context"] == f"{contoso.server.url}/v1.0/$metadata#users"
    first = body["value"][0]
    assert set(first) == set(USER_DEFAULT_PROPERTIES)
    assert "signInActivity" not in first
    assert "accountEnabled" not in first


def test_select_projects_and_unknown_property_is_refused(contoso: Session) -> None:
    body = contoso.get("users", {"$select": "id,accountEnabled,userType"}).json()
    assert body["@odata.context"].endswith("#users(id,accountEnabled,userType)")
    assert all(set(u) == {"id", "accountEnabled", "userType"} for u in body["value"])
    refused = contoso.get("users", {"$select": "id,favouriteColour"})
    assert refused.status_code == 400
    assert error_of(refused) == (
        "BadRequest",
        "Could not find a property named 'favouriteColour' on type 'microsoft.graph.user'.",
    )


def test_paging_follows_opaque_next_links(contoso: Session) -> None:
    first = contoso.get("users", {"$top": "5", "$select": "id"})
    body = first.json()
    link = body["@odata.nextLink"]
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == contoso.server.url
    assert parts.path == "/v1.0/users"
    assert set(parse_qs(parts.query)) == {"$skiptoken"}
    pages = [body["value"]]
    while "@odata.nextLink" in body:
        body = contoso.get(body["@odata.nextLink"]).json()
        pages.append(body["value"])
    assert [len(p) for p in pages] == [5, 5, 5, 1]
    ids = [u["id"] for page in pages for u in page]
    assert len(set(ids)) == 16
    assert all(set(u) == {"id"} for page in pages for u in page)


def test_a_forged_skiptoken_is_refused(contoso: Session) -> None:
    response = contoso.get("users", {"$skiptoken": "RFNwdAIAnotavalidtoken"})
    assert response.status_code == 400
    assert error_of(response)[0] == "Directory_ExpiredPageToken"


def test_empty_collection_page(contoso: Session) -> None:
    body = contoso.get("roleManagement/directory/roleEligibilitySchedules").json()
    assert body["value"] == []
    assert "@odata.nextLink" not in body
    # A collection Graph always has but the data does not carry is empty, not an error.
    assert contoso.get("applications").json()["value"] == []
    assert contoso.get("applications/some-app").status_code == 404


def test_top_maxima(contoso: Session) -> None:
    assert contoso.get("users", {"$top": "999"}).status_code == 200
    too_many = contoso.get("users", {"$top": "1000"})
    assert too_many.status_code == 400
    assert error_of(too_many) == (
        "Request_UnsupportedQuery",
        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
    )
    sign_in = {"$select": "id,signInActivity", "$top": "999"}
    assert contoso.get("users", sign_in).status_code == 400
    assert contoso.get("users", {**sign_in, "$top": "500"}).status_code == 200
    assert contoso.get("auditLogs/directoryAudits", {"$top": "1000"}).status_code == 200


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("userType eq 'Guest'", 2),
        ("accountEnabled eq false", 3),  # users 0, 7 and 14
        ("startswith(displayName,'User 00')", 10),
        ("jobTitle eq 'Engineer' and department eq 'IT'", 3),
        ("department eq 'IT' or userType eq 'Guest'", 7),  # 0, 3, 6, 9, 12, 15 and 14
        (f"userPrincipalName in ('user001@{DOMAIN}','USER002@{DOMAIN.upper()}')", 2),
        ("createdDateTime ge 2025-11-01T00:00:00Z", 2),  # users 10 and 11
        ("signInActivity/lastSignInDateTime le 2026-10-03T00:00:00Z", 2),
        (f"assignedLicenses/any(x:x/skuId eq {SKU})", 12),
    ],
)
def test_filter_forms(contoso: Session, filter_: str, expected: int) -> None:
    users = contoso.get_all("users", {"$filter": filter_, "$select": "id"})
    assert len(users) == expected


def test_filter_on_groups(contoso: Session) -> None:
    groups = contoso.get_all("groups", {"$filter": "isAssignableToRole eq true"})
    assert [g["displayName"] for g in groups] == ["Group 1"]


def test_advanced_queries_need_consistency_level_and_count(contoso: Session) -> None:
    refused = contoso.get("users", {"$filter": "accountEnabled ne true"})
    assert refused.status_code == 400
    assert error_of(refused) == (
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property 'accountEnabled' "
        "of resource 'User'.",
    )
    ok = contoso.get(
        "users", {"$filter": "accountEnabled ne true", "$count": "true"}, headers=EVENTUAL
    )
    assert ok.status_code == 200
    assert ok.json()["@odata.count"] == 3
    licensed = contoso.get(
        "users", {"$filter": "assignedLicenses/$count ne 0", "$count": "true"}, headers=EVENTUAL
    )
    assert licensed.json()["@odata.count"] == 12


def test_bad_filters(contoso: Session) -> None:
    syntax = contoso.get("users", {"$filter": "displayName eq"})
    assert syntax.status_code == 400
    assert error_of(syntax)[1].startswith("Invalid filter clause: Syntax error")
    function = contoso.get("users", {"$filter": "length(displayName) eq 3"})
    assert function.status_code == 400
    assert "unknown function" in error_of(function)[1]
    unknown = contoso.get("users", {"$filter": "shoeSize eq 3"})
    assert error_of(unknown)[1] == (
        "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."
    )


def test_count_only_on_page_one_and_only_with_eventual(contoso: Session) -> None:
    first = contoso.get("users", {"$count": "true", "$top": "10"}, headers=EVENTUAL).json()
    assert first["@odata.count"] == 16
    second_page = contoso.get(first["@odata.nextLink"], headers=EVENTUAL)
    assert "@odata.count" not in second_page.json()
    # The advanced query needs the header again on every page.
    assert contoso.get(first["@odata.nextLink"]).status_code == 400
    refused = contoso.get("users", {"$count": "true"})
    assert refused.status_code == 400
    code, message = error_of(refused)
    assert code == "Request_BadRequest"
    assert "requires the ConsistencyLevel header set to eventual" in message
    # Outside the directory, $count needs no header.
    audits = contoso.get("auditLogs/directoryAudits", {"$count": "true"}).json()
    assert audits["@odata.count"] == 3


def test_count_segment(contoso: Session) -> None:
    response = contoso.get("users/$count", headers=EVENTUAL)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "16"
    guests = contoso.get("users/$count", {"$filter": "userType eq 'Guest'"}, headers=EVENTUAL)
    assert guests.text == "2"
    assert contoso.get("users/$count").status_code == 400


def test_objects_by_id_and_by_user_principal_name(contoso: Session) -> None:
    user = contoso.spec.data["users"]["value"][3]
    by_id = contoso.get(f"users/{user['id']}", {"$select": "id,displayName,accountEnabled"})
    assert by_id.status_code == 200
    body = by_id.json()
    assert body["@odata.context"].endswith("#users(id,displayName,accountEnabled)/$entity")
    assert body["displayName"] == user["displayName"]
    by_upn = contoso.get(f"users/{user['userPrincipalName'].upper()}").json()
    assert by_upn["id"] == user["id"]


def test_missing_object_and_unknown_segment(contoso: Session) -> None:
    missing = contoso.get("users/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert error_of(missing) == (
        "Request_ResourceNotFound",
        "Resource '00000000-0000-0000-0000-000000000000' does not exist or one of its queried "
        "reference-property objects are not present.",
    )
    unknown = contoso.get("frobnicators")
    assert unknown.status_code == 400
    assert error_of(unknown) == ("BadRequest", "Resource not found for the segment 'frobnicators'.")
    deeper = contoso.get(f"users/{contoso.spec.data['users']['value'][0]['id']}/gizmos")
    assert error_of(deeper)[1] == "Resource not found for the segment 'gizmos'."


def test_nested_collections(contoso: Session) -> None:
    users = contoso.spec.data["users"]["value"]
    group_id = contoso.spec.data["groups"]["value"][0]["id"]
    members = contoso.get_all(f"groups/{group_id}/members")
    assert [m["id"] for m in members] == [u["id"] for u in users[:4]]
    assert all(m["@odata.type"] == "#microsoft.graph.user" for m in members)
    admin_methods = contoso.get_all(f"users/{users[0]['userPrincipalName']}/authentication/methods")
    assert {m["id"] for m in admin_methods} == {"pw", "fido"}
    # A user without a methods key still has a password, as on the real Graph.
    methods = contoso.get_all(f"users/{users[5]['id']}/authentication/methods")
    assert [m["@odata.type"] for m in methods] == ["#microsoft.graph.passwordAuthenticationMethod"]


def test_expand_embeds_only_what_is_asked(contoso: Session) -> None:
    path = "policies/roleManagementPolicyAssignments"
    plain = contoso.get_all(path)
    assert "policy" not in plain[0]
    shallow = contoso.get_all(path, {"$expand": "policy"})
    assert "rules" not in shallow[0]["policy"]
    deep = contoso.get_all(path, {"$expand": "policy($expand=rules)"})
    assert deep[0]["policy"]["rules"][0]["id"] == "Approval_EndUser_Assignment"
    assignments = contoso.get_all(
        "roleManagement/directory/roleAssignments", {"$expand": "principal"}
    )
    principal = assignments[0]["principal"]
    assert principal["@odata.type"] == "#microsoft.graph.user"
    assert principal["id"] == contoso.spec.data["users"]["value"][0]["id"]


def test_singleton_object(contoso: Session) -> None:
    body = contoso.get("policies/authorizationPolicy").json()
    assert body["@odata.context"].endswith("#policies/authorizationPolicy/$entity")
    assert body["allowInvitesFrom"] == "everyone"
    selected = contoso.get("policies/authorizationPolicy", {"$select": "allowInvitesFrom"}).json()
    assert set(selected) == {"@odata.context", "allowInvitesFrom"}


def test_writes_are_not_allowed(contoso: Session) -> None:
    response = contoso.http.patch(
        "/v1.0/policies/authorizationPolicy",
        json={"allowInvitesFrom": "none"},
        headers={"Authorization": f"Bearer {contoso.token()}"},
    )
    assert response.status_code == 405
    assert error_of(response)[0] == "Request_BadRequest"
