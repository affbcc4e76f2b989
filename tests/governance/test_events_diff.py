"""Change events from snapshot-to-snapshot diffs: every kind, stable keys, no false changes."""

from __future__ import annotations

from datetime import timedelta

from remit.domain import ChangeKind, Severity
from remit.governance.events import SNAPSHOT_DIFF, Change, snapshot_changes
from tests.monitoring.builders import (
    CA,
    ELIGIBILITY,
    GA,
    NOW,
    SECURITY_DEFAULTS,
    TENANT_ID,
    USER_ADMIN,
    GraphTenant,
    upn,
)

BEFORE = NOW - timedelta(hours=6)


def diff(before: GraphTenant, after: GraphTenant) -> list[Change]:
    return snapshot_changes(before.data(BEFORE), after.data(NOW), tenant_id=TENANT_ID)


def kinds(found: list[Change]) -> list[tuple[ChangeKind, str]]:
    return [(c.event.kind, c.event.target.name) for c in found]


def test_a_role_added_and_one_removed() -> None:
    before = GraphTenant()
    old, new = before.user("old"), before.user("new")
    before.assign(old, USER_ADMIN)
    after = before.copy()
    after.unassign(old, USER_ADMIN)
    after.assign(new)
    found = diff(before, after)
    assert kinds(found) == [
        (ChangeKind.ROLE_ADDED, upn("new")),
        (ChangeKind.ROLE_REMOVED, upn("old")),
    ]
    added = found[0]
    assert added.event.source == SNAPSHOT_DIFF
    assert added.event.actor == ""  # a diff cannot say who
    assert added.event.occurred_at == NOW
    assert added.window_start == BEFORE
    assert added.match == f"role-added:{new}:{GA}:active"
    assert added.role == "Global Administrator"
    assert added.severity is Severity.CRITICAL
    assert "between" in added.event.details


def test_eligible_roles_and_roles_through_a_group() -> None:
    before = GraphTenant()
    ann, ben = before.user("ann"), before.user("ben")
    group = before.group("Tier 0", [ann])
    before.assign(group, USER_ADMIN)
    after = before.copy()
    after.items(f"groups/{group}/members").append({"id": ben})
    after.eligible(ann, GA)
    found = diff(before, after)
    details = {c.event.target.name: c.event.details for c in found}
    assert kinds(found) == [
        (ChangeKind.ROLE_ADDED, upn("ann")),
        (ChangeKind.ROLE_ADDED, upn("ben")),
    ]
    assert "(eligible)" in details[upn("ann")]
    assert "through group Tier 0" in details[upn("ben")]


def test_pim_activations_are_not_role_changes() -> None:
    before = GraphTenant()
    pat = before.user("pat")
    before.eligible(pat)
    after = before.copy()
    after.assign(pat, activated=True, end=NOW + timedelta(hours=8))
    assert diff(before, after) == []


def test_what_either_snapshot_lacks_yields_no_false_changes() -> None:
    before = GraphTenant()
    ann = before.user("ann")
    group = before.group("Tier 0", [ann])
    before.assign(group, USER_ADMIN)
    before.eligible(ann)
    before.policy("Require MFA")
    after = before.copy()
    del after.payloads[ELIGIBILITY]  # no P2 licence this time
    del after.payloads[f"groups/{group}/members"]  # members not collected
    del after.payloads[CA]  # conditional access throttled
    del after.payloads[SECURITY_DEFAULTS]
    assert diff(before, after) == []


def test_mfa_methods_removed_from_an_admin() -> None:
    before = GraphTenant()
    admin, user = before.user("admin"), before.user("user")
    before.assign(admin)
    after = before.copy()
    for uid in (admin, user):
        methods = after.items(f"users/{uid}/authentication/methods")
        methods[:] = [m for m in methods if "password" in m["@odata.type"]]
    [change] = diff(before, after)
    assert change.event.kind is ChangeKind.MFA_REMOVED
    assert change.event.target.id == admin
    assert "fido2AuthenticationMethod" in change.event.details
    assert change.match == f"mfa-removed:{admin}"


def test_mfa_removed_seen_in_registration_details_when_methods_were_not_read() -> None:
    before = GraphTenant()
    admin = before.user("admin")
    before.assign(admin)
    del before.payloads[f"users/{admin}/authentication/methods"]
    reg = "reports/authenticationMethods/userRegistrationDetails"
    before.items(reg).append(
        {"id": admin, "methodsRegistered": ["password", "fido2", "microsoftAuthenticatorPush"]}
    )
    after = before.copy()
    after.items(reg)[0]["methodsRegistered"] = ["password"]
    [change] = diff(before, after)
    assert change.event.kind is ChangeKind.MFA_REMOVED
    assert "fido2, microsoftAuthenticatorPush" in change.event.details


def test_conditional_access_created_changed_disabled_deleted() -> None:
    before = GraphTenant()
    keep, off, gone = before.policy("Keep"), before.policy("Off"), before.policy("Gone")
    after = before.copy()
    policies = {p["id"]: p for p in after.items(CA)}
    policies[keep]["grantControls"] = {"operator": "OR", "builtInControls": ["block"]}
    policies[off]["state"] = "enabledForReportingButNotEnforced"
    after.payloads[CA]["value"] = [p for p in after.items(CA) if p["id"] != gone]
    new = after.policy("New", state="disabled")
    found = {c.match: c for c in diff(before, after)}
    assert {m: c.event.kind for m, c in found.items()} == {
        f"ca-updated:{keep}": ChangeKind.CA_CHANGED,
        f"ca-updated:{off}": ChangeKind.CA_DISABLED,  # report-only enforces nothing
        f"ca-deleted:{gone}": ChangeKind.CA_DELETED,
        f"ca-created:{new}": ChangeKind.CA_CREATED,
    }
    assert "changed: grantControls" in found[f"ca-updated:{keep}"].event.details
    assert (
        "state enabled → enabledForReportingButNotEnforced"
        in found[f"ca-updated:{off}"].event.details
    )
    assert found[f"ca-deleted:{gone}"].event.target.name == "Gone"


def test_security_defaults_toggled() -> None:
    before = GraphTenant()
    after = before.copy()
    after.payloads[SECURITY_DEFAULTS]["isEnabled"] = False
    [change] = diff(before, after)
    assert (change.event.kind, change.match) == (
        ChangeKind.SECURITY_DEFAULTS_TOGGLED,
        "security-defaults:off",
    )
    assert change.severity is Severity.HIGH
    assert diff(after, before)[0].severity is Severity.LOW  # switched back on


def test_new_application_credentials() -> None:
    before = GraphTenant()
    app = before.application("Payroll", "old secret")
    sp = before.service_principal("Sync")
    after = before.copy()
    after.items("applications")[0]["passwordCredentials"].append(GraphTenant.secret("new secret"))
    after.items("servicePrincipals")[0]["keyCredentials"] = [
        {"keyId": "K-1", "displayName": "CN=sync"}
    ]
    after.application("Brand new", "first")
    after.service_principal("New enterprise app")
    after.items("servicePrincipals")[1]["passwordCredentials"] = [GraphTenant.secret("x")]
    found = diff(before, after)
    assert sorted((c.event.target.name, c.event.details.split(" (between")[0]) for c in found) == [
        ("Brand new", "new client secret 'first' on 'Brand new', valid until 2028-11-20"),
        ("Payroll", "new client secret 'new secret' on 'Payroll', valid until 2028-11-20"),
        ("Sync", "new certificate 'CN=sync' on 'Sync'"),
    ]  # a newly consented enterprise app's keys come with the consent: not reported
    assert {c.event.kind for c in found} == {ChangeKind.APP_CREDENTIAL_ADDED}
    assert f"app-credential:{app}:" in next(
        c.match for c in found if c.event.target.name == "Payroll"
    )
    assert f"app-credential:{sp}:k-1" in {c.match for c in found}


def test_keys_are_stable_and_unique() -> None:
    before = GraphTenant()
    after = before.copy()
    after.assign(after.user("a"))
    after.assign(after.user("b"))
    after.policy("New")
    first, second = diff(before, after), diff(before, after)
    assert [c.event.key for c in first] == [c.event.key for c in second]
    assert len({c.event.key for c in first}) == len(first) == 3
    assert all(c.event.key.startswith("diff:") and NOW.isoformat() in c.event.key for c in first)


def test_identical_snapshots_have_no_changes() -> None:
    tenant = GraphTenant()
    tenant.assign(tenant.user("a"))
    tenant.policy("P")
    tenant.application("App", "s")
    assert diff(tenant, tenant.copy()) == []
