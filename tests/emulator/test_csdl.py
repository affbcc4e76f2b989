"""The CSDL validator itself (tests/support/csdl.py): what it catches and what it accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import csdl

USER_ID = "7b6d69c2-f92e-436d-81c6-578afdcee7ab"
GA = "62e90394-69f5-4237-9190-012177145e10"


def test_a_valid_user_has_no_problems() -> None:
    user = {
        "id": USER_ID,
        "displayName": "Ada",
        "accountEnabled": True,
        "assignedLicenses": [
            {"disabledPlans": [], "skuId": "3b555118-da6a-4418-894f-7df1e2096870"}
        ],
        "signInActivity": {"lastSignInDateTime": "2026-10-28T19:03:18Z"},
        "jobTitle": None,
    }
    assert csdl.validate("microsoft.graph.user", user) == []


def test_wrong_property_name_is_reported_with_its_path() -> None:
    problems = csdl.validate("user", {"id": USER_ID, "displayNme": "Ada"})
    assert problems == ["displayNme: no property 'displayNme' on microsoft.graph.user"]


def test_wrong_json_types_are_reported() -> None:
    problems = csdl.validate(
        "user",
        {"id": USER_ID, "accountEnabled": "yes", "businessPhones": "555", "displayName": 3},
    )
    assert sorted(problems) == [
        'accountEnabled: expected Edm.Boolean, got "yes"',
        'businessPhones: expected Collection(Edm.String), got "555"',
        "displayName: expected Edm.String, got 3",
    ]


def test_a_boolean_is_not_an_integer_and_ranges_are_checked() -> None:
    domain = {"id": "contoso.com", "passwordValidityPeriodInDays": True}
    assert csdl.validate("domain", domain) == [
        "passwordValidityPeriodInDays: expected Edm.Int32, got true"
    ]
    assert csdl.validate("domain", {"passwordNotificationWindowInDays": 2**40}) == [
        f"passwordNotificationWindowInDays: expected Edm.Int32, got {2**40}"
    ]


def test_the_documented_message_shape_with_a_path_prefix() -> None:
    problems = csdl.validate(
        "user", {"signInActivity": {"lastSignInDateTime": 12}}, path="users.value[3]"
    )
    assert problems == [
        "users.value[3].signInActivity.lastSignInDateTime: expected Edm.DateTimeOffset, got 12"
    ]


@pytest.mark.parametrize(
    "value",
    ["2026-13-01T00:00:00Z", "2026-01-01T00:00:00", "2026-01-01", "yesterday", "2026-02-30T01:00Z"],
)
def test_bad_timestamps_are_rejected(value: str) -> None:
    problems = csdl.validate("signInActivity", {"lastSignInDateTime": value})
    assert len(problems) == 1
    assert problems[0].startswith("lastSignInDateTime: expected Edm.DateTimeOffset")


@pytest.mark.parametrize(
    "value", ["2026-10-28T19:03:18Z", "2026-10-28T19:03:18.1234567Z", "2026-10-28T19:03:18+02:00"]
)
def test_good_timestamps_are_accepted(value: str) -> None:
    assert csdl.validate("signInActivity", {"lastSignInDateTime": value}) == []


def test_guid_duration_binary_and_date_formats() -> None:
    assert csdl.validate("assignedLicense", {"skuId": "not-a-guid"}) == [
        'skuId: expected Edm.Guid, got "not-a-guid"'
    ]
    rule = {"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule"}
    assert (
        csdl.validate("unifiedRoleManagementPolicyRule", {**rule, "maximumDuration": "PT8H"}) == []
    )
    assert csdl.validate("unifiedRoleManagementPolicyRule", {**rule, "maximumDuration": "8h"}) == [
        'maximumDuration: expected Edm.Duration, got "8h"'
    ]
    assert (
        csdl.validate("keyCredential", {"customKeyIdentifier": "Gv6MqvxkG5ZQqldO7ifY4dvuSRQ="})
        == []
    )
    assert csdl.validate("keyCredential", {"customKeyIdentifier": "not base64!"}) == [
        'customKeyIdentifier: expected Edm.Binary, got "not base64!"'
    ]


def test_edm_date_must_be_a_real_calendar_date() -> None:
    schema = csdl.load_schema()  # any concrete type with an Edm.Date property will do
    holder = next(
        (name, prop.name)
        for name in sorted(schema.types)
        for prop in schema.types[name].properties.values()
        if prop.type_name == "Edm.Date"
        and not prop.is_collection
        and not schema.types[name].abstract
    )
    type_name, prop = holder
    assert csdl.validate(type_name, {prop: "2026-02-28"}) == []
    assert csdl.validate(type_name, {prop: "2026-02-30"}) == [
        f'{prop}: expected Edm.Date, got "2026-02-30"'
    ]


def test_enum_members_and_flags() -> None:
    assert csdl.validate("conditionalAccessPolicy", {"state": "on"}) == [
        'state: "on" is not a member of microsoft.graph.conditionalAccessPolicyState'
    ]
    users = "conditionalAccessGuestsOrExternalUsers"
    flags = "b2bCollaborationGuest,b2bCollaborationMember"
    assert csdl.validate(users, {"guestOrExternalUserTypes": flags}) == []
    assert csdl.validate(users, {"guestOrExternalUserTypes": "b2bCollaborationGuest,nope"}) == [
        'guestOrExternalUserTypes: "b2bCollaborationGuest,nope" is not a member of '
        "microsoft.graph.conditionalAccessGuestOrExternalUserTypes"
    ]
    # A non-flags enum does not accept a comma-separated list.
    assert csdl.validate("conditionalAccessPolicy", {"state": "enabled,disabled"}) != []


def test_nulls_follow_nullable() -> None:
    assert csdl.validate("user", {"jobTitle": None, "signInActivity": None}) == []
    assert csdl.validate("domain", {"isDefault": None}) == [
        "isDefault: null is not allowed for Edm.Boolean"
    ]
    assert csdl.validate("user", {"assignedLicenses": [None]}) == [
        "assignedLicenses[0]: null is not allowed for microsoft.graph.assignedLicense"
    ]


def test_instance_annotations_are_allowed() -> None:
    user = {
        "@odata.type": "#microsoft.graph.user",
        "@odata.etag": 'W/"1"',
        "@removed": {"reason": "deleted"},
        "displayName@odata.type": "#String",
        "id": USER_ID,
    }
    assert csdl.validate("user", user) == []


def test_derived_types_named_by_odata_type() -> None:
    member = {"@odata.type": "#microsoft.graph.user", "id": USER_ID, "userPrincipalName": "a@b.c"}
    assert csdl.validate("directoryObject", member) == []
    # Without @odata.type, user properties are not properties of a directoryObject.
    bare = {"id": USER_ID, "userPrincipalName": "a@b.c"}
    assert csdl.validate("directoryObject", bare) == [
        "userPrincipalName: no property 'userPrincipalName' on microsoft.graph.directoryObject"
    ]
    unrelated = {"@odata.type": "#microsoft.graph.domain", "id": "x.com"}
    assert csdl.validate("directoryObject", unrelated) == [
        "(root): @odata.type #microsoft.graph.domain does not derive from "
        "microsoft.graph.directoryObject"
    ]
    assert csdl.validate("directoryObject", {"@odata.type": "#microsoft.graph.nope"}) == [
        "(root): @odata.type #microsoft.graph.nope is not a type in the CSDL"
    ]


def test_expanded_navigation_properties_are_validated() -> None:
    assignment = {
        "id": "x",
        "policyId": "p",
        "scopeId": "/",
        "scopeType": "DirectoryRole",
        "roleDefinitionId": GA,
        "policy": {
            "id": "p",
            "rules": [
                {
                    "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
                    "id": "Approval_EndUser_Assignment",
                    "setting": {"isApprovalRequired": "true"},
                    "bogus": 1,
                }
            ],
        },
    }
    problems = csdl.validate("unifiedRoleManagementPolicyAssignment", assignment)
    assert sorted(problems) == [
        "policy.rules[0].bogus: no property 'bogus' on "
        "microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
        'policy.rules[0].setting.isApprovalRequired: expected Edm.Boolean, got "true"',
    ]


def test_open_types_accept_directory_extensions_only() -> None:
    extension = "extension_0123456789abcdef0123456789abcdef_costCenter"
    assert csdl.validate("user", {extension: "CC-12"}) == []
    assert csdl.validate("user", {"costCenter": "CC-12"}) == [
        "costCenter: no property 'costCenter' on microsoft.graph.user"
    ]
    # A free-form open type (no declared properties) takes anything.
    assert csdl.validate("accessAction", {"anything": [1, 2]}) == []


def test_type_names_resolve_aliases() -> None:
    body = {"id": USER_ID, "displayName": "Ada"}
    assert csdl.validate("graph.user", body) == csdl.validate("microsoft.graph.user", body) == []
    assert csdl.validate("self.alert", {"id": "a", "title": "x"}) == []
    with pytest.raises(KeyError, match="not an entity or complex type"):
        csdl.validate("microsoft.graph.noSuchThing", {})


def test_inherited_properties_come_from_the_base_type_chain() -> None:
    schema = csdl.load_schema()
    props = schema.properties("microsoft.graph.authorizationPolicy")
    assert {"id", "deletedDateTime", "displayName", "guestUserRoleId"} <= set(props)
    assert [t.name for t in schema.chain("microsoft.graph.authorizationPolicy")] == [
        "microsoft.graph.authorizationPolicy",
        "microsoft.graph.policyBase",
        "microsoft.graph.directoryObject",
        "microsoft.graph.entity",
    ]


def test_type_for_key_matches_id_segments() -> None:
    assert csdl.type_for_key("users") == "microsoft.graph.user"
    assert csdl.type_for_key(f"groups/{USER_ID}/members") == "microsoft.graph.directoryObject"
    assert (
        csdl.type_for_key(f"users/{USER_ID}/authentication/methods")
        == "microsoft.graph.authenticationMethod"
    )
    assert csdl.type_for_key("nothing/here") is None


def test_validate_fixture_reports_every_problem_in_a_hand_written_fixture() -> None:
    fixture = {
        "_emulator": {"tenantId": "ignored"},
        "users": {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
            "value": [
                {"id": USER_ID, "displayName": "Ada", "userType": "Member"},
                {"id": "2", "accountEnabled": "true"},
                {"displayName": "no id"},
            ],
        },
        f"groups/{USER_ID}/members": {
            "value": [{"@odata.type": "#microsoft.graph.user", "id": USER_ID, "mail": 5}]
        },
        "policies/authorizationPolicy": {"id": "authorizationPolicy", "allowInvitesFrom": "all"},
        "identity/conditionalAccess/policies": {"value": [], "extra": 1},
        "reports/somethingNew": {"value": []},
    }
    assert sorted(csdl.validate_fixture(fixture)) == sorted(
        [
            'users.value[1].accountEnabled: expected Edm.Boolean, got "true"',
            "users.value[2]: a collection item needs a string 'id'",
            f"groups/{USER_ID}/members.value[0].mail: expected Edm.String, got 5",
            'policies/authorizationPolicy.allowInvitesFrom: "all" is not a member of '
            "microsoft.graph.allowInvitesFrom",
            "identity/conditionalAccess/policies.extra: unexpected member of a collection body",
            "reports/somethingNew: no type known for this path (add it to PATH_TYPES)",
        ]
    )


def test_validate_fixture_accepts_a_clean_fixture() -> None:
    fixture = {
        "users": {"value": [{"id": USER_ID, "displayName": "Ada"}]},
        "policies/identitySecurityDefaultsEnforcementPolicy": {
            "id": "00000000-0000-0000-0000-000000000005",
            "isEnabled": True,
        },
    }
    assert csdl.validate_fixture(fixture) == []


def test_every_path_type_exists_in_the_csdl() -> None:
    schema = csdl.load_schema()
    missing = [t for t in csdl.PATH_TYPES.values() if schema.resolve(t) not in schema.types]
    assert missing == []


def test_reference_folder_can_be_overridden(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(csdl.ENV_OVERRIDE, str(tmp_path))
    assert csdl.csdl_path() == tmp_path / csdl.CSDL_FILE
    with pytest.raises(FileNotFoundError, match=csdl.ENV_OVERRIDE):
        csdl.load_schema()
    real = Path(csdl.__file__).resolve().parents[2].parent / "shared" / "reference" / "graph"
    monkeypatch.setenv(csdl.ENV_OVERRIDE, str(real))
    assert csdl.load_schema().types  # the real folder works through the override too
