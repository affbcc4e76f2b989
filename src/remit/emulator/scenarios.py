"""Things that happen to a tenant in real life, applied to its Graph data for demos and tests.

Each scenario mutates ``TenantSpec.data`` (the fixture format of ``remit.emulator.model``) the
way Entra ID would, keeping every related key consistent (users, directory roles and their
members, unified role assignments, PIM schedules, registration details, ...), and records a
realistic ``auditLogs/directoryAudits`` event (newest first) naming the actor, so drift detection
can say who changed what and when. Scenarios work on synthetic tenants and hand-written fixtures
alike: they only read and write Graph-shaped data.

Every scenario accepts ``actor`` (the UPN shown in the audit event; default: the tenant's first
enabled Global Administrator). A bad parameter, or a tenant the scenario cannot apply to (no CA
policy to disable, security defaults already off), raises ``ScenarioError`` with a message that
says what to do instead. New ids are derived from the tenant, the scenario, ``now`` and the audit
log's length, so applying the same scenarios at the same times gives the same data.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from remit.emulator.model import TenantSpec
from remit.emulator.synthetic.audit import Target
from remit.emulator.synthetic.catalog import GLOBAL_ADMIN
from remit.emulator.synthetic.common import iso
from remit.emulator.synthetic.edits import (
    APPLICATIONS,
    ASSIGNMENTS,
    CA_POLICIES,
    ELIGIBILITY_SCHEDULES,
    PASSWORD_METHOD,
    REGISTRATION,
    SECURITY_DEFAULTS,
    USERS,
    Json,
    ScenarioError,
    TenantEdit,
    assign_role,
    blank_user,
    initial_domain,
    no_mfa_registration,
    password_only,
    resolve_role,
)

__all__ = ["SCENARIOS", "Scenario", "ScenarioError"]


@dataclass(frozen=True)
class Scenario:
    """A named change: ``apply(spec, params, now)`` mutates ``spec.data`` and describes it."""

    name: str
    summary: str
    params: Mapping[str, str]  # parameter -> what it means (``actor`` is always accepted)
    run: Callable[[TenantEdit], str] = field(repr=False)

    def apply(self, spec: TenantSpec, params: Mapping[str, str], now: datetime) -> str:
        unknown = sorted(set(params) - set(self.params) - {"actor"})
        if unknown:
            allowed = ", ".join(sorted({*self.params, "actor"}))
            raise ScenarioError(
                f"unknown parameter {unknown[0]!r} for scenario {self.name!r}; "
                f"it accepts: {allowed}"
            )
        clean: dict[str, str] = {}
        for key, value in params.items():
            # JSON callers may send numbers (days=90); anything else must be a non-empty string.
            text = (
                str(value)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else value
            )
            if not isinstance(text, str) or not text.strip():
                raise ScenarioError(
                    f"parameter {key!r} of {self.name!r} must be a non-empty string"
                )
            clean[key] = text
        moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        return self.run(TenantEdit(self.name, spec, clean, moment.replace(microsecond=0)))


# --- Scenarios ---------------------------------------------------------------------------------


def _new_global_admin(run: TenantEdit) -> str:
    display = run.params.get("display_name", "Temp Admin")
    upn = run.params.get("upn")
    taken = {str(u.get("userPrincipalName", "")).lower() for u in run.existing(USERS)}
    if upn is not None:
        if "@" not in upn:
            raise ScenarioError(f"upn {upn!r} is not a user principal name (name@domain)")
        if upn.lower() in taken:
            raise ScenarioError(f"a user with UPN {upn!r} already exists; pick another upn")
    else:
        base = "".join(c for c in display.lower() if c.isalnum() or c == ".") or "admin"
        upn, n = f"{base}@{run.spec.primary_domain}", 1
        while upn.lower() in taken:
            n += 1
            upn = f"{base}{n}@{run.spec.primary_domain}"
    user = blank_user(run, upn=upn, display=display)
    run.collection(USERS).append(user)
    run.collection(f"users/{user['id']}/authentication/methods").append(
        password_only(user["createdDateTime"])
    )
    if REGISTRATION in run.data:
        details: Json = {
            "id": user["id"],
            "userPrincipalName": upn,
            "userDisplayName": display,
            "userType": "member",
            "isAdmin": False,
            "isSsprEnabled": False,
            "isSystemPreferredAuthenticationMethodEnabled": True,
        }
        no_mfa_registration(details, run.now)
        run.collection(REGISTRATION).append(details)
    run.audit(
        "Add user",
        "UserManagement",
        "Add",
        [Target(user["id"], None, "User", upn)],
        seconds_ago=180,
    )
    assign_role(run, user, GLOBAL_ADMIN, "Global Administrator")
    return f"created member user {upn} and made it Global Administrator"


def _admin_ids(run: TenantEdit) -> set[str]:
    ids = {a.get("principalId") for a in run.existing(ASSIGNMENTS)}
    ids |= {s.get("principalId") for s in run.existing(ELIGIBILITY_SCHEDULES)}
    return {i for i in ids if isinstance(i, str)}


def _strong_methods(run: TenantEdit, user_id: str) -> list[Json]:
    methods = run.existing(f"users/{user_id}/authentication/methods")
    return [m for m in methods if m.get("@odata.type") != PASSWORD_METHOD]


def _admin_mfa_removed(run: TenantEdit) -> str:
    admins = _admin_ids(run)
    if "user" in run.params:
        user = run.user(run.params["user"])
        if user["id"] not in admins:
            raise ScenarioError(
                f"{user['userPrincipalName']} holds no directory role; name an admin (id or UPN)"
            )
        if not _strong_methods(run, user["id"]):
            raise ScenarioError(f"{user['userPrincipalName']} has no MFA method to remove")
    else:
        found = [
            u
            for u in run.existing(USERS)
            if u.get("id") in admins and _strong_methods(run, u["id"])
        ]
        if not found:
            raise ScenarioError("no admin in this tenant has an MFA method to remove")
        user = found[0]
    methods = run.collection(f"users/{user['id']}/authentication/methods")
    removed = [m for m in methods if m.get("@odata.type") != PASSWORD_METHOD]
    kept = [m for m in methods if m.get("@odata.type") == PASSWORD_METHOD]
    methods[:] = kept or [password_only(iso(run.now))]
    for details in run.existing(REGISTRATION):
        if details.get("id") == user["id"]:
            no_mfa_registration(details, run.now)
    for method in removed:
        kind = str(method.get("@odata.type", "")).removeprefix("#microsoft.graph.")
        run.audit(
            "Admin deleted security info",
            "UserManagement",
            "Delete",
            [
                Target(
                    user["id"],
                    None,
                    "User",
                    user["userPrincipalName"],
                    (("StrongAuthenticationMethod", kind, None),),
                )
            ],
            service="Authentication Methods",
        )
    return (
        f"removed {len(removed)} MFA method(s) of admin {user['userPrincipalName']}; "
        "only the password is left"
    )


def _pick_policy(run: TenantEdit) -> Json:
    policies = run.existing(CA_POLICIES)
    if not policies:
        raise ScenarioError("this tenant has no conditional access policies")
    ref = run.params.get("policy")
    if ref is None:
        enabled = [p for p in policies if p.get("state") == "enabled"]
        if not enabled:
            raise ScenarioError("no enabled conditional access policy; name one with policy=")
        return enabled[0]
    wanted = ref.strip().lower()
    for policy in policies:
        if (
            str(policy.get("id", "")).lower() == wanted
            or str(policy.get("displayName", "")).lower() == wanted
        ):
            return policy
    names = ", ".join(repr(p.get("displayName")) for p in policies)
    raise ScenarioError(f"no conditional access policy {ref!r}; policies: {names}")


def _ca_policy_disabled(run: TenantEdit) -> str:
    policy = _pick_policy(run)
    if policy.get("state") == "disabled":
        raise ScenarioError(f"policy {policy['displayName']!r} is already disabled")
    before = copy.deepcopy(policy)
    policy["state"] = "disabled"
    policy["modifiedDateTime"] = iso(run.now)
    run.audit(
        "Update conditional access policy",
        "Policy",
        "Update",
        [
            Target(
                policy["id"],
                policy["displayName"],
                "Policy",
                changes=(("ConditionalAccessPolicy", before, copy.deepcopy(policy)),),
            )
        ],
        service="Conditional Access",
    )
    return f"disabled conditional access policy {policy['displayName']!r} (was {before['state']})"


def _ca_policy_deleted(run: TenantEdit) -> str:
    policy = _pick_policy(run)
    policies = run.collection(CA_POLICIES)
    policies[:] = [p for p in policies if p is not policy]
    run.audit(
        "Delete conditional access policy",
        "Policy",
        "Delete",
        [
            Target(
                policy["id"],
                policy["displayName"],
                "Policy",
                changes=(("ConditionalAccessPolicy", policy, None),),
            )
        ],
        service="Conditional Access",
    )
    return f"deleted conditional access policy {policy['displayName']!r}"


def _guest_privileged_role(run: TenantEdit) -> str:
    template_id, role_name = resolve_role(run.params.get("role", "Global Administrator"))
    holders = {
        a.get("principalId")
        for a in run.existing(ASSIGNMENTS)
        if a.get("roleDefinitionId") == template_id
    }
    if "user" in run.params:
        user = run.user(run.params["user"])
        if user.get("userType") != "Guest":
            raise ScenarioError(f"{user['userPrincipalName']} is not a guest; name a guest user")
    else:
        guests = [
            u
            for u in run.existing(USERS)
            if u.get("userType") == "Guest" and u.get("id") not in holders
        ]
        if guests:
            user = guests[0]
        else:
            mail = "it.consultant@partner-msp.example"
            upn = f"it.consultant_partner-msp.example#EXT#@{initial_domain(run)}"
            user = blank_user(run, upn=upn, display="IT Consultant (partner)", guest_mail=mail)
            run.collection(USERS).append(user)
            if REGISTRATION in run.data:  # Graph lists guests in the registration report too
                details: Json = {
                    "id": user["id"],
                    "userPrincipalName": upn,
                    "userDisplayName": user["displayName"],
                    "userType": "guest",
                    "isAdmin": False,
                    "isSsprEnabled": False,
                    "isSystemPreferredAuthenticationMethodEnabled": True,
                }
                no_mfa_registration(details, run.now)
                run.collection(REGISTRATION).append(details)
            run.audit(
                "Invite external user",
                "UserManagement",
                "Add",
                [Target(user["id"], None, "User", upn)],
                seconds_ago=120,
            )
    assign_role(run, user, template_id, role_name)
    return f"guest {user['userPrincipalName']} now holds {role_name}"


def _security_defaults_off(run: TenantEdit) -> str:
    policy = run.data.get(SECURITY_DEFAULTS)
    if not isinstance(policy, dict):
        raise ScenarioError("this tenant's data has no security defaults policy")
    if not policy.get("isEnabled"):
        raise ScenarioError("security defaults are already off in this tenant")
    policy["isEnabled"] = False
    run.audit(
        "Update policy",
        "Policy",
        "Update",
        [
            Target(
                str(policy.get("id", "")),
                "Security Defaults",
                "Policy",
                changes=(("IsEnabled", True, False),),
            )
        ],
    )
    return "switched security defaults off"


def _app_credential_added(run: TenantEdit) -> str:
    apps = run.existing(APPLICATIONS)
    if not apps:
        raise ScenarioError("this tenant has no application registrations")
    ref = run.params.get("app")
    if ref is None:
        app = apps[0]
    else:
        wanted = ref.strip().lower()
        matches = [
            a
            for a in apps
            if wanted
            in (
                str(a.get("id", "")).lower(),
                str(a.get("appId", "")).lower(),
                str(a.get("displayName", "")).lower(),
            )
        ]
        if not matches:
            names = ", ".join(repr(a.get("displayName")) for a in apps)
            raise ScenarioError(f"no application {ref!r}; applications: {names}")
        app = matches[0]
    raw_days = run.params.get("days", "730")
    try:
        days = int(raw_days)
    except ValueError:
        raise ScenarioError(f"days must be a whole number of days, got {raw_days!r}") from None
    if not 1 <= days <= 3650:
        raise ScenarioError(f"days must be between 1 and 3650, got {days}")
    name = run.params.get("display_name", "New client secret")
    key_id = run.new_id()
    credential = {
        "customKeyIdentifier": None,
        "displayName": name,
        "endDateTime": iso(run.now + timedelta(days=days)),
        "hint": key_id[:3],
        "keyId": key_id,
        "secretText": None,
        "startDateTime": iso(run.now),
    }
    app.setdefault("passwordCredentials", []).append(credential)
    description = f"[KeyIdentifier={key_id},KeyType=Password,KeyUsage=Verify,DisplayName={name}]"
    run.audit(
        "Update application – Certificates and secrets management ",
        "ApplicationManagement",
        "Update",
        [
            Target(
                app["id"],
                app.get("displayName"),
                "Application",
                changes=(("KeyDescription", None, description),),
            )
        ],
    )
    return f"added client secret {name!r} to {app.get('displayName')!r}, valid for {days} days"


SCENARIOS: Mapping[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "new-global-admin",
            "A new member user appears and is made Global Administrator.",
            {
                "upn": "the new user's UPN (default: tempadmin@<primary domain>)",
                "display_name": "the new user's display name (default: Temp Admin)",
            },
            _new_global_admin,
        ),
        Scenario(
            "admin-mfa-removed",
            "An admin's MFA methods are deleted; only the password is left.",
            {"user": "the admin's id or UPN (default: the first admin with MFA methods)"},
            _admin_mfa_removed,
        ),
        Scenario(
            "ca-policy-disabled",
            "A conditional access policy is switched off.",
            {"policy": "id or display name (default: the first enabled policy)"},
            _ca_policy_disabled,
        ),
        Scenario(
            "ca-policy-deleted",
            "A conditional access policy is deleted.",
            {"policy": "id or display name (default: the first enabled policy)"},
            _ca_policy_deleted,
        ),
        Scenario(
            "guest-privileged-role",
            "A guest (an existing one, or a newly invited one) gets a privileged role.",
            {
                "role": "built-in role name or template id (default: Global Administrator)",
                "user": "the guest's id or UPN (default: the first guest without the role)",
            },
            _guest_privileged_role,
        ),
        Scenario(
            "security-defaults-off",
            "Security defaults are switched off.",
            {},
            _security_defaults_off,
        ),
        Scenario(
            "app-credential-added",
            "A new client secret is added to an application registration.",
            {
                "app": "object id, appId or display name (default: the first application)",
                "display_name": "the secret's description (default: New client secret)",
                "days": "validity in days, 1-3650 (default: 730)",
            },
            _app_credential_added,
        ),
    )
}
