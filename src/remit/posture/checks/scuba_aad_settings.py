"""CISA SCuBA Entra ID baseline: tenant settings (MS.AAD.3.3, 3.4, 3.5 authentication methods;
5.1, 5.2, 5.3 app registration and consent; 6.1 password expiry; 8.1, 8.2 guests).

Criteria follow aad.md and ScubaGear's Rego (Rego/AADConfig.rego, Rego/Utils/AAD.rego); each
check says where it differs.
"""

from __future__ import annotations

from typing import Any

from remit.posture.checks.scuba_aad_common import NO_EXCLUDED_TARGET, name_list, plural, quoted
from remit.posture.data import MissingData, TenantData
from remit.posture.engine import CheckFn
from remit.posture.model import Outcome, Resource, Status
from remit.posture.views import display

AUTH_METHODS = "policies/authenticationMethodsPolicy"
AUTHORIZATION = "policies/authorizationPolicy"
ADMIN_CONSENT = "policies/adminConsentRequestPolicy"
INT_MAX = 2147483647  # passwordValidityPeriodInDays that means "never expire" (Utils/AAD.rego)

# authorizationPolicy.guestUserRoleId (AADConfig.rego LevelAsString).
RESTRICTED_GUEST = "2af84b1e-32c8-42b7-82bc-daa82404023b"
LIMITED_GUEST = "10dae51f-b6af-4016-8d66-8c2a99b929b3"
MEMBER_GUEST = "a0b1b346-4d3e-4e8b-98f8-753987be4970"
GUEST_LEVELS = {
    RESTRICTED_GUEST: "access restricted to their own directory objects (the most restrictive)",
    LIMITED_GUEST: "limited access to properties and memberships of directory objects",
    MEMBER_GUEST: "the same access to the directory as members",
}
INVITERS = {
    "adminsAndGuestInviters": "Only admins and users with the Guest Inviter role can invite guests",
    "none": "Nobody can invite guests, not even admins",
    "adminsGuestInvitersAndAllMembers": "Every member user can invite guests",
    "everyone": "Anyone, guests included, can invite guests",
}
# Consent policies for permissionGrantPoliciesAssigned (ManagePermissionGrantsForSelf.<id>).
SELF_CONSENT = "ManagePermissionGrantsForSelf."
LOW_IMPACT_CONSENT = "microsoft-user-default-low"
CONSENT_POLICIES = {
    "microsoft-user-default-legacy": "users can consent to any app for any permission it asks",
    "microsoft-user-default-recommended": (
        "Microsoft manages user consent (the recommended setting), which SCuBA does not accept"
    ),
}
WEAK_METHODS = {"sms": "SMS", "voice": "Voice call", "email": "Email OTP"}


def _resource(policy_id: str, name: str) -> tuple[Resource, ...]:
    return (Resource("policy", policy_id, name),)


# --- Authentication methods (3.3, 3.4, 3.5) ----------------------------------------------------


def _method_configs(data: TenantData) -> dict[str, dict[str, Any]]:
    policy = data.object(AUTH_METHODS)
    configs = policy.get("authenticationMethodConfigurations")
    if not isinstance(configs, list):
        raise MissingData(
            AUTH_METHODS,
            f"{AUTH_METHODS} was collected without its authenticationMethodConfigurations",
        )
    return {str(c.get("id")).lower(): c for c in configs if isinstance(c, dict)}


def _group_name(data: TenantData, target: dict[str, Any]) -> str:
    target_id = str(target.get("id"))
    if target_id == "all_users":
        return "all users"
    groups = {str(g.get("id")): g for g in data.optional_collection("groups") or []}
    return f"the group {quoted(display(groups.get(target_id), target_id))}"


def authenticator_context(data: TenantData) -> Outcome:
    """MS.AAD.3.3v2: if Microsoft Authenticator is enabled, its notifications show the application
    name and the geographic location to all users, and Authenticator OTP is off (the
    implementation section's three settings)."""
    authenticator = _method_configs(data).get("microsoftauthenticator")
    resources = _resource("MicrosoftAuthenticator", "Microsoft Authenticator")
    if authenticator is None or authenticator.get("state") != "enabled":
        return Outcome(
            Status.NOT_APPLICABLE,
            "Microsoft Authenticator is not enabled in the authentication methods policy.",
            resources,
        )
    features = authenticator.get("featureSettings") or {}
    problems: list[str] = []
    caveats: list[str] = []
    for key, label in (
        ("displayAppInformationRequiredState", "the application name"),
        ("displayLocationInformationRequiredState", "the geographic location"),
    ):
        feature = features.get(key) or {}
        state = str(feature.get("state") or "default")
        include = feature.get("includeTarget") or {}
        exclude = feature.get("excludeTarget") or {}
        if state == "default":
            problems.append(f"{label} is left to Microsoft (default), not enabled")
        elif state != "enabled":
            problems.append(f"{label} is {state}")
        elif include.get("id") != "all_users":
            problems.append(f"{label} is shown only to {_group_name(data, include)}")
        elif exclude.get("id") and exclude.get("id") != NO_EXCLUDED_TARGET:
            caveats.append(f"{label} is not shown to {_group_name(data, exclude)}")
    if authenticator.get("isSoftwareOathEnabled") is True:
        problems.append("Authenticator one-time passcodes, which show no context, are allowed")
    if problems:
        return Outcome(
            Status.FAIL,
            f"Microsoft Authenticator is enabled but {'; '.join(problems)}.",
            resources,
        )
    if caveats:
        return Outcome(
            Status.WARN,
            "Authenticator shows the application name and location to all users, but "
            f"{'; '.join(caveats)}.",
            resources,
        )
    return Outcome(
        Status.PASS,
        "Authenticator notifications show the application name and location to all users, and "
        "Authenticator one-time passcodes are off.",
        resources,
    )


def _migration_state(data: TenantData) -> str:
    state = data.object(AUTH_METHODS).get("policyMigrationState")
    if not state:
        raise MissingData(AUTH_METHODS, f"{AUTH_METHODS} has no policyMigrationState")
    return str(state)


def methods_migration(data: TenantData) -> Outcome:
    """MS.AAD.3.4v1: policyMigrationState is migrationComplete (AADConfig.rego, 3.4)."""
    state = _migration_state(data)
    resources = _resource("authenticationMethodsPolicy", "Authentication methods policy")
    if state == "migrationComplete":
        return Outcome(
            Status.PASS,
            "The authentication methods migration is complete: MFA and self-service password "
            "reset methods are managed in one policy.",
            resources,
        )
    return Outcome(
        Status.FAIL,
        f"The authentication methods migration is {state}, not migrationComplete: the legacy MFA "
        "and self-service password reset method settings still apply.",
        resources,
    )


def weak_methods_disabled(data: TenantData) -> Outcome:
    """MS.AAD.3.5v2: the SMS, Voice call and Email OTP methods are disabled. ScubaGear checks them
    only once the migration is complete (CheckedSkippedDetails); Remit checks them always and
    says WARN when they are off but the legacy policies may still offer SMS or voice."""
    configs = _method_configs(data)
    enabled = [
        label
        for method_id, label in WEAK_METHODS.items()
        if (configs.get(method_id) or {}).get("state") == "enabled"
    ]
    resources = tuple(
        Resource("policy", str(configs[m].get("id")), label)
        for m, label in WEAK_METHODS.items()
        if m in configs
    )
    if enabled:
        return Outcome(
            Status.FAIL,
            f"{name_list(enabled)} {'is' if len(enabled) == 1 else 'are'} enabled in the "
            "authentication methods policy.",
            tuple(r for r in resources if r.name in enabled),
        )
    state = _migration_state(data)
    if state != "migrationComplete":
        return Outcome(
            Status.WARN,
            "SMS, Voice call and Email OTP are disabled in the authentication methods policy, but "
            f"the migration is {state}, so the legacy MFA and password reset policies may still "
            "offer SMS or voice (see MS.AAD.3.4).",
            resources,
        )
    return Outcome(Status.PASS, "SMS, Voice call and Email OTP are disabled.", resources)


# --- Applications (5.1, 5.2, 5.3) --------------------------------------------------------------


def _authorization(data: TenantData) -> dict[str, Any]:
    body = data.object(AUTHORIZATION)
    items = body.get("value")
    if isinstance(items, list):  # the beta shape: a collection of one policy
        if not items or not isinstance(items[0], dict):
            raise MissingData(AUTHORIZATION, f"{AUTHORIZATION} is empty in this snapshot")
        return dict(items[0])
    return body


def _default_permissions(data: TenantData, prop: str) -> Any:
    permissions = _authorization(data).get("defaultUserRolePermissions")
    if not isinstance(permissions, dict) or prop not in permissions:
        raise MissingData(
            AUTHORIZATION, f"{AUTHORIZATION} has no defaultUserRolePermissions.{prop}"
        )
    return permissions[prop]


AUTHORIZATION_RESOURCE = _resource("authorizationPolicy", "Authorization policy")


def app_registration(data: TenantData) -> Outcome:
    """MS.AAD.5.1v1: defaultUserRolePermissions.allowedToCreateApps is false (AADConfig.rego)."""
    if _default_permissions(data, "allowedToCreateApps") is False:
        return Outcome(
            Status.PASS, "Only administrators can register applications.", AUTHORIZATION_RESOURCE
        )
    return Outcome(
        Status.FAIL,
        "Every user can register applications (Users can register applications is Yes).",
        AUTHORIZATION_RESOURCE,
    )


def user_consent(data: TenantData) -> Outcome:
    """MS.AAD.5.2v1: no user-consent policy, or only Microsoft's low-impact one (the baseline's
    option 2). ScubaGear passes option 2 when the low-impact classification holds no risky
    permission; Remit does not read the classifications, so option 2 is a WARN to verify."""
    assigned = _default_permissions(data, "permissionGrantPoliciesAssigned")
    consent = [
        str(p).removeprefix(SELF_CONSENT) for p in assigned or [] if str(p).startswith(SELF_CONSENT)
    ]
    if not consent:
        return Outcome(
            Status.PASS,
            "Users cannot consent to applications; an administrator must.",
            AUTHORIZATION_RESOURCE,
        )
    bad = [
        CONSENT_POLICIES.get(p, f"the custom consent policy {p} applies")
        for p in consent
        if p != LOW_IMPACT_CONSENT
    ]
    if bad:
        return Outcome(
            Status.FAIL,
            f"User consent is not restricted: {'; '.join(bad)}.",
            AUTHORIZATION_RESOURCE,
        )
    return Outcome(
        Status.WARN,
        "Users can consent to apps from verified publishers for permissions classified as low "
        "impact; SCuBA accepts this only if no risky permission is classified low, which Remit "
        "cannot read: check the permission classifications.",
        AUTHORIZATION_RESOURCE,
    )


def admin_consent_workflow(data: TenantData) -> Outcome:
    """MS.AAD.5.3v1: users can request admin consent, and someone reviews the requests.
    (ScubaGear reads the EnableAdminConsentRequests directory setting; Graph v1.0 exposes the
    same switch as adminConsentRequestPolicy.isEnabled.)"""
    policy = data.object(ADMIN_CONSENT)
    resources = _resource("adminConsentRequestPolicy", "Admin consent request policy")
    reviewers = policy.get("reviewers") or []
    if policy.get("isEnabled") is True and reviewers:
        return Outcome(
            Status.PASS,
            f"Users can request admin consent; {plural(len(reviewers), 'reviewer')} "
            f"{'decides' if len(reviewers) == 1 else 'decide'}.",
            resources,
        )
    if policy.get("isEnabled") is True:
        return Outcome(
            Status.FAIL, "The admin consent workflow is on but names no reviewers.", resources
        )
    return Outcome(
        Status.FAIL,
        "The admin consent workflow is off: users who cannot consent have no way to ask.",
        resources,
    )


# --- Passwords (6.1) ---------------------------------------------------------------------------


def password_expiry(data: TenantData) -> Outcome:
    """MS.AAD.6.1v1: every verified root domain has passwordValidityPeriodInDays null or
    2147483647 (the instructions' note: ScubaGear treats both as never expiring). Federated
    domains take the policy from their identity provider; ScubaGear passes them with a warning
    (Utils/AAD.rego DomainReportDetails), Remit names them in the details."""
    domains = [
        d
        for d in data.collection("domains")
        if d.get("isVerified") is True and d.get("isRoot", True) is not False
    ]
    federated = [d for d in domains if str(d.get("authenticationType")).lower() == "federated"]
    managed = [d for d in domains if d not in federated]
    expiring = [d for d in managed if d.get("passwordValidityPeriodInDays") not in (None, INT_MAX)]
    note = (
        f" Passwords of {name_list([str(d['id']) for d in federated])} are set by the federated "
        "identity provider; check them there."
        if federated
        else ""
    )
    if expiring:
        described = [
            f"{d.get('id')} ({d.get('passwordValidityPeriodInDays')} days)" for d in expiring
        ]
        return Outcome(
            Status.FAIL,
            f"Passwords expire on {plural(len(expiring), 'domain')}: {name_list(described)}.{note}",
            tuple(Resource("domain", str(d.get("id")), str(d.get("id"))) for d in expiring),
        )
    if not managed:
        return Outcome(
            Status.NOT_APPLICABLE,
            "No verified managed domain: password expiry is not set in Entra ID." + note,
            tuple(Resource("domain", str(d.get("id")), str(d.get("id"))) for d in federated),
        )
    return Outcome(
        Status.PASS,
        f"Passwords never expire on the {plural(len(managed), 'verified domain')}.{note}",
        tuple(Resource("domain", str(d.get("id")), str(d.get("id"))) for d in managed),
    )


# --- Guests (8.1, 8.2) -------------------------------------------------------------------------


def _authorization_value(data: TenantData, prop: str) -> str:
    value = _authorization(data).get(prop)
    if not value:
        raise MissingData(AUTHORIZATION, f"{AUTHORIZATION} has no {prop}")
    return str(value)


def guest_access(data: TenantData) -> Outcome:
    """MS.AAD.8.1v1: guestUserRoleId is the limited or the restricted guest role."""
    role = _authorization_value(data, "guestUserRoleId")
    level = GUEST_LEVELS.get(role, f"an unknown access level ({role})")
    status = Status.PASS if role in (RESTRICTED_GUEST, LIMITED_GUEST) else Status.FAIL
    return Outcome(status, f"Guests have {level}.", AUTHORIZATION_RESOURCE)


def guest_invites(data: TenantData) -> Outcome:
    """MS.AAD.8.2v1: allowInvitesFrom is adminsAndGuestInviters (ScubaGear's only accepted
    value) or none (stricter still)."""
    invites = _authorization_value(data, "allowInvitesFrom")
    who = INVITERS.get(invites, "Guest invitations follow an unknown setting")
    status = Status.PASS if invites in ("adminsAndGuestInviters", "none") else Status.FAIL
    return Outcome(status, f"{who} (allowInvitesFrom is {invites}).", AUTHORIZATION_RESOURCE)


CHECKS: dict[str, CheckFn] = {
    "MS.AAD.3.3": authenticator_context,
    "MS.AAD.3.4": methods_migration,
    "MS.AAD.3.5": weak_methods_disabled,
    "MS.AAD.5.1": app_registration,
    "MS.AAD.5.2": user_consent,
    "MS.AAD.5.3": admin_consent_workflow,
    "MS.AAD.6.1": password_expiry,
    "MS.AAD.8.1": guest_access,
    "MS.AAD.8.2": guest_invites,
}
