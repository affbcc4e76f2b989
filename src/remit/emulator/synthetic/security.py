"""Secure Score (daily history and control profiles) and the recent directory audit history."""

from __future__ import annotations

from datetime import timedelta

from remit.emulator.model import LICENSE_ENTRA_P1, LICENSE_ENTRA_P2
from remit.emulator.synthetic import profiles as P
from remit.emulator.synthetic.accounts import MFA_METHODS
from remit.emulator.synthetic.audit import Actor, Target, audit_event
from remit.emulator.synthetic.catalog import GLOBAL_ADMIN, ROLES_BY_ID
from remit.emulator.synthetic.common import Json, Person, Tenant, iso

# controlName -> (category, max score, title, tier, user impact, implementation cost, threats)
_CONTROLS: dict[str, tuple[str, float, str, str, str, str, list[str]]] = {
    "AdminMFAV2": (
        "Identity",
        10.0,
        "Ensure multifactor authentication is enabled for all users in administrative roles",
        "Core",
        "Low",
        "Low",
        ["Account Breach", "Elevation of Privilege", "Password Cracking"],
    ),
    "MFARegistrationV2": (
        "Identity",
        9.0,
        "Ensure multifactor authentication is enabled for all users",
        "Core",
        "Moderate",
        "Low",
        ["Account Breach", "Password Cracking", "Phishing"],
    ),
    "BlockLegacyAuthentication": (
        "Identity",
        8.0,
        "Enable Conditional Access policies to block legacy authentication",
        "Core",
        "Moderate",
        "Moderate",
        ["Password Spray", "Account Breach"],
    ),
    "SigninRiskPolicy": (
        "Identity",
        7.0,
        "Enable Microsoft Entra ID Identity Protection sign-in risk policies",
        "Defense in Depth",
        "Moderate",
        "Moderate",
        ["Account Breach", "Phishing"],
    ),
    "UserRiskPolicy": (
        "Identity",
        7.0,
        "Enable Microsoft Entra ID Identity Protection user risk policies",
        "Defense in Depth",
        "Moderate",
        "Moderate",
        ["Account Breach", "Password Cracking"],
    ),
    "PWAgePolicyNew": (
        "Identity",
        8.0,
        "Ensure the 'Password expiration policy' is set to 'Set "
        "passwords to never expire (recommended)'",
        "Core",
        "Low",
        "Low",
        ["Password Cracking"],
    ),
    "SelfServicePasswordReset": (
        "Identity",
        1.0,
        "Enable self-service password reset",
        "Core",
        "Moderate",
        "Low",
        ["Account Breach"],
    ),
    "OneAdmin": (
        "Identity",
        1.0,
        "Designate more than one global admin",
        "Core",
        "Low",
        "Low",
        ["Account Breach"],
    ),
    "aad_limited_administrative_roles": (
        "Identity",
        1.0,
        "Use least privileged administrative roles",
        "Core",
        "Low",
        "Low",
        ["Elevation of Privilege"],
    ),
    "IntegratedApps": (
        "Identity",
        4.0,
        "Do not allow users to grant consent to unreliable applications",
        "Core",
        "Moderate",
        "Low",
        ["Consent Phishing", "Data Exfiltration"],
    ),
    "aad_admin_accounts_separate_unassigned_cloudonly": (
        "Identity",
        3.0,
        "Ensure administrative accounts are separate and cloud-only",
        "Defense in Depth",
        "Moderate",
        "Moderate",
        ["Elevation of Privilege"],
    ),
}


def _share(people: list[Person]) -> float:
    if not people:
        return 1.0
    return sum(1 for p in people if any(m in MFA_METHODS for m in p.methods)) / len(people)


def _ca_has(t: Tenant, predicate: str) -> bool:
    for policy in t.data["identity/conditionalAccess/policies"]["value"]:
        if policy["state"] != "enabled":
            continue
        conditions = policy["conditions"]
        controls = policy["grantControls"]["builtInControls"]
        if (
            predicate == "legacy"
            and "block" in controls
            and ("other" in conditions["clientAppTypes"])
        ):
            return True
        if predicate == "signin" and conditions["signInRiskLevels"]:
            return True
        if predicate == "user" and conditions["userRiskLevels"]:
            return True
    return False


def _control_fractions(t: Tenant) -> dict[str, float]:
    enabled = [p for p in t.members if p.enabled]
    admins = [p for p in t.people if p.is_admin]
    global_admins = [p for p in t.people if GLOBAL_ADMIN in p.active_roles + p.eligible_roles]
    secdefaults = t.data["policies/identitySecurityDefaultsEnforcementPolicy"]["isEnabled"]
    consent = t.data["policies/authorizationPolicy"]["defaultUserRolePermissions"][
        "permissionGrantPoliciesAssigned"
    ]
    return {
        "AdminMFAV2": 1.0 if secdefaults else _share(admins),
        "MFARegistrationV2": _share(enabled),
        "BlockLegacyAuthentication": 1.0 if secdefaults or _ca_has(t, "legacy") else 0.0,
        "SigninRiskPolicy": 1.0 if _ca_has(t, "signin") else 0.0,
        "UserRiskPolicy": 1.0 if _ca_has(t, "user") else 0.0,
        "PWAgePolicyNew": 1.0,
        "SelfServicePasswordReset": 1.0 if LICENSE_ENTRA_P1 in t.features else 0.0,
        "OneAdmin": 1.0 if len(global_admins) >= 2 else 0.0,
        "aad_limited_administrative_roles": 1.0 if len(global_admins) <= 4 else 0.0,
        "IntegratedApps": 0.0 if any("legacy" in c or "low" in c for c in consent) else 1.0,
        "aad_admin_accounts_separate_unassigned_cloudonly": (
            1.0 if t.profile == P.WELL_RUN else 0.0
        ),
    }


def build_secure_score(t: Tenant) -> None:
    rng = t.rng
    fractions = _control_fractions(t)
    if LICENSE_ENTRA_P2 not in t.features:  # risk policies need P2: not scored
        fractions.pop("SigninRiskPolicy")
        fractions.pop("UserRiskPolicy")
    # For each control, the day (counting back from today) before which it scored less.
    improved = {name: rng.randrange(1, 60) for name in fractions}
    earlier = {name: rng.uniform(0.0, 0.8) for name in fractions}
    vendor = {
        "provider": "SecureScore",
        "providerVersion": None,
        "subProvider": None,
        "vendor": "Microsoft",
    }
    licensed = sum(1 for p in t.members if p.licensed)
    active = sum(1 for p in t.members if p.last_sign_in and p.last_sign_in > t.ago(days=30))
    max_score = sum(_CONTROLS[name][1] for name in fractions)
    days: list[Json] = []
    for back in range(30):
        day = (t.now - timedelta(days=back)).replace(hour=0, minute=0, second=0, microsecond=0)
        controls = []
        total = 0.0
        for name, fraction in fractions.items():
            category, maximum, title, *_ = _CONTROLS[name]
            value = fraction if back < improved[name] else fraction * earlier[name]
            score = round(maximum * value, 2)
            total += score
            controls.append(
                {
                    "controlCategory": category,
                    "controlName": name,
                    "description": title,
                    "score": score,
                }
            )
        days.append(
            {
                "id": f"{t.tenant_id}_{day:%Y-%m-%d}",
                "azureTenantId": t.tenant_id,
                "activeUserCount": active,
                "licensedUserCount": licensed,
                "createdDateTime": iso(day + timedelta(hours=2)),
                "currentScore": round(total, 2),
                "maxScore": max_score,
                "enabledServices": ["HasExchange", "HasSharePoint", "HasOD4B"],
                "averageComparativeScores": [
                    {"basis": "AllTenants", "averageScore": 39.21},
                    {"basis": "TotalSeats", "averageScore": 41.07},
                ],
                "controlScores": controls,
                "vendorInformation": vendor,
            }
        )
    t.data["security/secureScores"] = {"value": days}
    t.data["security/secureScoreControlProfiles"] = {
        "value": [
            {
                "id": name,
                "azureTenantId": t.tenant_id,
                "actionType": "Config",
                "actionUrl": "https://entra.microsoft.com/",
                "controlCategory": category,
                "title": title,
                "deprecated": False,
                "implementationCost": cost,
                "lastModifiedDateTime": iso(t.random_past(30, 400)),
                "maxScore": maximum,
                "rank": rank,
                "remediation": f"<p>{title}.</p>",
                "remediationImpact": f"<p>Users may be affected: {impact.lower()} impact.</p>",
                "service": "AzureAD",
                "threats": threats,
                "tier": tier,
                "userImpact": impact,
                "complianceInformation": [],
                "controlStateUpdates": [],
                "vendorInformation": vendor,
            }
            for rank, (name, (category, maximum, title, tier, impact, cost, threats)) in enumerate(
                ((n, _CONTROLS[n]) for n in fractions), start=1
            )
        ]
    }


def _actor(p: Person) -> Actor:
    return Actor(id=p.id, upn=p.upn, display=None)


def build_audit_history(t: Tenant) -> None:
    rng = t.rng
    admins = [p for p in t.people if p.is_admin and p.member and not p.emergency]
    if not admins:
        admins = [p for p in t.people if p.member][:1]
    members = [p for p in t.members if not p.is_admin] or t.members
    policies = t.data["identity/conditionalAccess/policies"]["value"]
    apps = t.data["applications"]["value"]
    count = min(60, 10 + len(t.members) // 10)
    events: list[Json] = []
    for _ in range(count):
        when = t.random_past(0.02, 30)
        actor = _actor(rng.choice(admins))
        user = rng.choice(members)
        kind = rng.random()
        target_user = Target(user.id, None, "User", user.upn)
        if kind < 0.35:
            change = ("JobTitle", user.job, user.job)
            events.append(
                audit_event(
                    t.id,
                    when,
                    activity="Update user",
                    category="UserManagement",
                    service="Core Directory",
                    operation="Update",
                    actor=actor,
                    targets=[Target(user.id, None, "User", user.upn, (change,))],
                )
            )
        elif kind < 0.55:
            events.append(
                audit_event(
                    t.id,
                    when,
                    activity="Reset user password",
                    category="UserManagement",
                    service="Core Directory",
                    operation="Update",
                    actor=actor,
                    targets=[target_user],
                )
            )
        elif kind < 0.75 and t.groups:
            group = rng.choice(t.groups)
            events.append(
                audit_event(
                    t.id,
                    when,
                    activity="Add member to group",
                    category="GroupManagement",
                    service="Core Directory",
                    operation="Assign",
                    actor=actor,
                    targets=[target_user, Target(group["id"], group["displayName"], "Group")],
                )
            )
        elif kind < 0.85 and policies:
            policy = rng.choice(policies)
            events.append(
                audit_event(
                    t.id,
                    when,
                    activity="Update conditional access policy",
                    category="Policy",
                    service="Conditional Access",
                    operation="Update",
                    actor=actor,
                    targets=[Target(policy["id"], policy["displayName"], "Policy")],
                )
            )
        elif kind < 0.93:
            app = rng.choice(apps)
            events.append(
                audit_event(
                    t.id,
                    when,
                    activity="Update application",
                    category="ApplicationManagement",
                    service="Core Directory",
                    operation="Update",
                    actor=actor,
                    targets=[Target(app["id"], app["displayName"], "Application")],
                )
            )
        else:
            events.append(
                audit_event(
                    t.id,
                    when,
                    activity="Add user",
                    category="UserManagement",
                    service="Core Directory",
                    operation="Add",
                    actor=actor,
                    targets=[target_user],
                )
            )
    for p in admins:
        for role in p.active_roles:
            if p.created > t.ago(days=30):
                name = ROLES_BY_ID[role].name
                events.append(
                    audit_event(
                        t.id,
                        p.created + timedelta(minutes=5),
                        activity="Add member to role",
                        category="RoleManagement",
                        service="Core Directory",
                        operation="Assign",
                        actor=_actor(admins[0]),
                        targets=[
                            Target(p.id, None, "User", p.upn, (("Role.DisplayName", None, name),))
                        ],
                    )
                )
    events.sort(key=lambda e: str(e["activityDateTime"]), reverse=True)
    t.data["auditLogs/directoryAudits"] = {"value": events}
