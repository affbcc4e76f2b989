"""Change events from directory audit records: every mapping, actor, target, key, and skips."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest

from remit.domain import ChangeKind, Severity
from remit.emulator.scenarios import SCENARIOS
from remit.governance.events import AUDIT_LOG, Change, audit_changes
from remit.governance.events_audit import credential_descriptions
from remit.posture.data import TenantData
from tests.inventory.helpers import small_tenant, well_run_tenant
from tests.monitoring.builders import (
    AUDITS,
    DOMAIN,
    GA,
    NOW,
    TENANT_ID,
    GraphTenant,
    upn,
    user_target,
)

WHEN = NOW - timedelta(hours=1)


def changes(tenant: GraphTenant) -> list[Change]:
    return audit_changes(tenant.data(), tenant_id=TENANT_ID)


def role_target(
    name: str = "Global Administrator", template: str | None = GA
) -> tuple[tuple[str, None, str], ...]:
    props = [("Role.DisplayName", None, name)]
    if template:
        props.append(("Role.TemplateId", None, template))
    return tuple(props)


def policy_target(pid: str, name: str, old: Any, new: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "displayName": name,
        "type": "Policy",
        "modifiedProperties": [
            {
                "displayName": "ConditionalAccessPolicy",
                "oldValue": None if old is None else json.dumps(old),
                "newValue": None if new is None else json.dumps(new),
            }
        ],
    }


@pytest.mark.parametrize(
    ("activity", "kind", "access"),
    [
        ("Add member to role", ChangeKind.ROLE_ADDED, "active"),
        ("Add member to role completed (permanent)", ChangeKind.ROLE_ADDED, "active"),
        ("Add eligible member to role", ChangeKind.ROLE_ADDED, "eligible"),
        (
            "Add eligible member to role in PIM completed (timebound)",
            ChangeKind.ROLE_ADDED,
            "eligible",
        ),
        ("Remove member from role", ChangeKind.ROLE_REMOVED, "active"),
        ("Remove eligible member from role", ChangeKind.ROLE_REMOVED, "eligible"),
    ],
)
def test_role_activities(activity: str, kind: ChangeKind, access: str) -> None:
    tenant = GraphTenant()
    eve = tenant.user("eve")
    rid = tenant.audit(activity, WHEN, [user_target(eve, upn("eve"), *role_target())])
    [change] = changes(tenant)
    event = change.event
    assert (event.kind, event.source, event.occurred_at) == (kind, AUDIT_LOG, WHEN)
    assert event.key == f"audit:{rid}"
    assert event.actor == f"tech@{DOMAIN}"
    assert (event.target.type, event.target.id, event.target.name) == ("user", eve, upn("eve"))
    assert event.tenant_id == TENANT_ID
    assert change.role == "Global Administrator"
    assert f"({access})" in event.details
    assert change.match == f"{kind.value}:{eve}:{GA}:{access}"
    expected = Severity.CRITICAL if kind is ChangeKind.ROLE_ADDED else Severity.LOW
    assert change.severity is expected


def test_a_role_named_only_by_display_name_or_by_a_role_target_resolves_to_its_template() -> None:
    tenant = GraphTenant()
    eve = tenant.user("eve")
    tenant.audit(
        "Add member to role",
        WHEN,
        [user_target(eve, upn("eve"), *role_target("User Administrator", None))],
    )
    tenant.audit(
        "Add member to role",
        WHEN,
        [
            {"id": "r", "type": "Role", "displayName": "Helpdesk Administrator"},
            user_target(eve, upn("eve")),
        ],
    )
    found = {c.role: c for c in changes(tenant)}
    assert found["User Administrator"].match.endswith(
        ":fe930be7-5e62-47db-91af-98c3a49a38b1:active"
    )
    assert found["User Administrator"].severity is Severity.HIGH
    assert found["Helpdesk Administrator"].severity is Severity.MEDIUM
    assert found["Helpdesk Administrator"].event.target.id == eve  # the user, not the role


@pytest.mark.parametrize(
    "activity",
    [
        "Add member to role requested (PIM activation)",
        "Add member to role completed (PIM activation)",
        "Remove member from role (PIM activation expired)",
        "Add eligible member to role in PIM requested (permanent)",
        "Update user",
        "Reset user password",
        "Add member to group",
        "Update application",  # not the credentials activity
    ],
)
def test_activities_that_are_not_changes_of_interest(activity: str) -> None:
    tenant = GraphTenant()
    eve = tenant.user("eve")
    tenant.audit(activity, WHEN, [user_target(eve, upn("eve"), *role_target())])
    assert changes(tenant) == []


def test_failed_operations_and_records_without_a_time_are_skipped() -> None:
    tenant = GraphTenant()
    eve = tenant.user("eve")
    tenant.audit(
        "Add member to role", WHEN, [user_target(eve, upn("eve"), *role_target())], result="failure"
    )
    tenant.audit("Add member to role", WHEN, [user_target(eve, upn("eve"), *role_target())])
    tenant.items(AUDITS)[0]["activityDateTime"] = None
    assert changes(tenant) == []


def test_no_audit_log_means_no_audit_changes() -> None:
    tenant = GraphTenant()
    del tenant.payloads[AUDITS]
    assert changes(tenant) == []


def test_the_actor_is_the_app_when_an_app_made_the_change() -> None:
    tenant = GraphTenant()
    eve = tenant.user("eve")
    tenant.audit(
        "Add member to role",
        WHEN,
        [user_target(eve, upn("eve"), *role_target())],
        app="Provisioning bot",
    )
    assert changes(tenant)[0].event.actor == "Provisioning bot"


def test_conditional_access_created_updated_disabled_deleted() -> None:
    tenant = GraphTenant()
    pid = tenant.policy("Require MFA")
    policy = tenant.items("identity/conditionalAccess/policies")[0]
    disabled = policy | {"state": "disabled"}
    widened = policy | {"conditions": {"users": {"includeUsers": ["None"]}}}
    tenant.audit(
        "Add conditional access policy", WHEN, [policy_target(pid, "Require MFA", None, policy)]
    )
    tenant.audit(
        "Update conditional access policy",
        WHEN + timedelta(minutes=1),
        [policy_target(pid, "Require MFA", policy, widened)],
    )
    tenant.audit(
        "Update conditional access policy",
        WHEN + timedelta(minutes=2),
        [policy_target(pid, "Require MFA", widened, disabled)],
    )
    tenant.audit(
        "Update conditional access policy",
        WHEN + timedelta(minutes=3),
        [{"id": pid, "displayName": "Require MFA", "type": "Policy"}],
    )
    tenant.audit(
        "Delete conditional access policy",
        WHEN + timedelta(minutes=4),
        [policy_target(pid, "Require MFA", policy, None)],
    )
    found = sorted(changes(tenant), key=lambda c: c.event.occurred_at)
    assert [c.event.kind for c in found] == [
        ChangeKind.CA_CREATED,
        ChangeKind.CA_CHANGED,
        ChangeKind.CA_DISABLED,
        ChangeKind.CA_CHANGED,  # an update without details is still a change
        ChangeKind.CA_DELETED,
    ]
    assert [c.match for c in found] == [f"ca-created:{pid}"] + [f"ca-updated:{pid}"] * 3 + [
        f"ca-deleted:{pid}"
    ]
    assert "(enabled)" in found[0].event.details
    assert "changed: conditions" in found[1].event.details
    assert "state enabled → disabled" in found[2].event.details
    assert {c.event.target.name for c in found} == {"Require MFA"}
    assert [c.severity for c in found] == [
        Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.MEDIUM, Severity.HIGH,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("new", "state", "severity"), [(False, "off", Severity.HIGH), (True, "on", Severity.LOW)]
)
def test_security_defaults_toggled(new: bool, state: str, severity: Severity) -> None:
    tenant = GraphTenant()
    target = {
        "id": "00000000-0000-0000-0000-000000000005",
        "displayName": None,  # found by the policy's id
        "type": "Policy",
        "modifiedProperties": [
            {
                "displayName": "IsEnabled",
                "oldValue": json.dumps(not new),
                "newValue": json.dumps(new),
            }
        ],
    }
    tenant.audit("Update policy", WHEN, [target])
    tenant.audit(
        "Update policy", WHEN, [{"id": "other", "displayName": "Token lifetime", "type": "Policy"}]
    )
    [change] = changes(tenant)
    assert change.event.kind is ChangeKind.SECURITY_DEFAULTS_TOGGLED
    assert change.event.details == f"security defaults switched {state}"
    assert change.match == f"security-defaults:{state}"
    assert change.severity is severity


def key_description(*keys: tuple[str, str]) -> str:
    return json.dumps(
        [f"[KeyIdentifier={k},KeyType=Password,KeyUsage=Verify,DisplayName={n}]" for k, n in keys]
    )


def test_new_application_credentials_only_those_added() -> None:
    tenant = GraphTenant()
    app = tenant.application("Payroll")
    target: dict[str, Any] = {
        "id": app,
        "displayName": "Payroll",
        "type": "Application",
        "modifiedProperties": [
            {
                "displayName": "KeyDescription",
                "oldValue": key_description(("AAA-1", "old")),
                "newValue": key_description(
                    ("AAA-1", "old"), ("BBB-2", "ci deploy"), ("CCC-3", "backup")
                ),
            }
        ],
    }
    rid = tenant.audit("Update application – Certificates and secrets management ", WHEN, [target])
    removed = copy.deepcopy(target)
    removed["modifiedProperties"][0]["newValue"] = key_description()
    tenant.audit("Update application – Certificates and secrets management ", WHEN, [removed])
    found = changes(tenant)
    assert [c.event.kind for c in found] == [ChangeKind.APP_CREDENTIAL_ADDED] * 2
    assert [c.match for c in found] == [
        f"app-credential:{app}:bbb-2",
        f"app-credential:{app}:ccc-3",
    ]
    assert [c.event.key for c in found] == [f"audit:{rid}:bbb-2", f"audit:{rid}:ccc-3"]
    assert found[0].event.details == "new client secret 'ci deploy' on 'Payroll'"
    assert found[0].event.target.type == "application"


def test_credential_descriptions_read_one_string_or_a_list() -> None:
    one = json.dumps(
        "[KeyIdentifier=K1,KeyType=AsymmetricX509Cert,KeyUsage=Verify,DisplayName=CN=x]"
    )
    assert credential_descriptions(one)["k1"]["KeyType"] == "AsymmetricX509Cert"
    assert set(credential_descriptions(key_description(("K1", "a"), ("K2", "b")))) == {"k1", "k2"}
    assert credential_descriptions(None) == {}


def test_mfa_removed_from_an_admin_but_not_from_other_users() -> None:
    tenant = GraphTenant()
    admin, user = tenant.user("admin"), tenant.user("user")
    tenant.assign(admin)
    for uid, name in ((admin, "admin"), (user, "user")):
        tenant.audit(
            "Admin deleted security info",
            WHEN,
            [
                user_target(
                    uid,
                    upn(name),
                    ("StrongAuthenticationMethod", "fido2AuthenticationMethod", None),
                )
            ],
        )
    [change] = changes(tenant)
    assert change.event.kind is ChangeKind.MFA_REMOVED
    assert change.event.target.id == admin
    assert change.match == f"mfa-removed:{admin}"
    assert "fido2AuthenticationMethod" in change.event.details
    assert change.severity is Severity.HIGH


# --- what the emulator's scenarios write --------------------------------------------------------


SCENARIO_KINDS = {
    "new-global-admin": ChangeKind.ROLE_ADDED,
    "admin-mfa-removed": ChangeKind.MFA_REMOVED,
    "ca-policy-disabled": ChangeKind.CA_DISABLED,
    "ca-policy-deleted": ChangeKind.CA_DELETED,
    "guest-privileged-role": ChangeKind.ROLE_ADDED,
    "app-credential-added": ChangeKind.APP_CREDENTIAL_ADDED,
}


@pytest.mark.parametrize("scenario", sorted(SCENARIO_KINDS))
def test_every_emulator_scenario_maps_to_its_kind(scenario: str) -> None:
    spec = well_run_tenant()
    known = {r["id"] for r in spec.data[AUDITS]["value"]}
    SCENARIOS[scenario].apply(spec, {"actor": f"tech@{spec.primary_domain}"}, NOW)
    data = TenantData(spec.data, now=NOW)
    new = [
        c
        for c in audit_changes(data, tenant_id=spec.tenant_id)
        if c.event.key.split(":")[1] not in known
    ]
    assert [c.event.kind for c in new] == [SCENARIO_KINDS[scenario]]
    assert new[0].event.actor == f"tech@{spec.primary_domain}"
    assert new[0].event.occurred_at == NOW.replace(microsecond=0)


def test_the_security_defaults_scenario_maps_to_a_toggle() -> None:
    spec = small_tenant()
    SCENARIOS["security-defaults-off"].apply(spec, {}, NOW)
    [change] = audit_changes(TenantData(spec.data, now=NOW), tenant_id=spec.tenant_id)
    assert change.event.kind is ChangeKind.SECURITY_DEFAULTS_TOGGLED
    assert change.match == "security-defaults:off"


def test_the_synthetic_audit_history_maps_role_and_policy_events() -> None:
    spec = well_run_tenant()
    found = audit_changes(TenantData(spec.data, now=NOW), tenant_id=spec.tenant_id)
    assert found, "the synthetic history has policy updates"
    assert {c.event.kind for c in found} <= {ChangeKind.CA_CHANGED, ChangeKind.ROLE_ADDED}
    assert len({c.event.key for c in found}) == len(found)  # keys are unique
