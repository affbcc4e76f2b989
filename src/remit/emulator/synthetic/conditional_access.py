"""Conditional-access policies and named locations, shaped per profile."""

from __future__ import annotations

import random
from datetime import timedelta

from remit.emulator.model import LICENSE_ENTRA_P1
from remit.emulator.synthetic import profiles as P
from remit.emulator.synthetic.catalog import (
    GLOBAL_ADMIN,
    PRIVILEGED_ROLE_IDS,
    ROLES_BY_NAME,
    STRENGTH_PHISHING_RESISTANT,
)
from remit.emulator.synthetic.common import Json, Tenant, iso, new_id

LEGACY_CLIENTS = ["exchangeActiveSync", "other"]
REGISTER_SECURITY_INFO = "urn:user:registersecurityinfo"


def _users(
    *,
    include_users: list[str] | None = None,
    exclude_users: list[str] | None = None,
    include_roles: list[str] | None = None,
    exclude_roles: list[str] | None = None,
    exclude_groups: list[str] | None = None,
    include_guests: bool = False,
) -> Json:
    return {
        "includeUsers": include_users or [],
        "excludeUsers": exclude_users or [],
        "includeGroups": [],
        "excludeGroups": exclude_groups or [],
        "includeRoles": include_roles or [],
        "excludeRoles": exclude_roles or [],
        "includeGuestsOrExternalUsers": (
            {
                "guestOrExternalUserTypes": "b2bCollaborationGuest,b2bCollaborationMember",
                "externalTenants": {
                    "@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants",
                    "membershipKind": "all",
                },
            }
            if include_guests
            else None
        ),
        "excludeGuestsOrExternalUsers": None,
    }


def _policy(
    t: Tenant,
    name: str,
    state: str,
    users: Json,
    *,
    controls: list[str] | None = None,
    operator: str = "OR",
    client_apps: list[str] | None = None,
    sign_in_risk: list[str] | None = None,
    user_risk: list[str] | None = None,
    strength: Json | None = None,
    locations: Json | None = None,
    platforms: Json | None = None,
    transfer_methods: str | None = None,
    user_actions: list[str] | None = None,
    rng: random.Random | None = None,
) -> Json:
    """One policy. ``user_actions`` targets user actions instead of all resources (Graph allows
    one or the other); ``rng`` draws the id and dates (default: the tenant's generator)."""
    draw = rng or t.rng

    def past(low_days: float, high_days: float) -> str:
        return iso(t.now - timedelta(seconds=int(draw.uniform(low_days, high_days) * 86400)))

    created = past(60, 900)
    policy_id = new_id(draw)
    modified = max(created, past(5, 300))
    return {
        "id": policy_id,
        "templateId": None,
        "displayName": name,
        "createdDateTime": created,
        "modifiedDateTime": modified,
        "state": state,
        "sessionControls": None,
        "conditions": {
            "userRiskLevels": user_risk or [],
            "signInRiskLevels": sign_in_risk or [],
            "clientAppTypes": client_apps or ["all"],
            "servicePrincipalRiskLevels": [],
            "insiderRiskLevels": None,
            "platforms": platforms,
            "locations": locations,
            "devices": None,
            "clientApplications": None,
            "authenticationFlows": (
                {"transferMethods": transfer_methods} if transfer_methods else None
            ),
            "applications": {
                "includeApplications": [] if user_actions else ["All"],
                "excludeApplications": [],
                "includeUserActions": list(user_actions or []),
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": None,
            },
            "users": users,
        },
        "grantControls": {
            "operator": operator,
            "builtInControls": controls or [],
            "customAuthenticationFactors": [],
            "termsOfUse": [],
            "authenticationStrength": strength,
        },
    }


def _phishing_resistant() -> Json:
    return {
        "id": STRENGTH_PHISHING_RESISTANT,
        "createdDateTime": "2021-12-01T00:00:00Z",
        "modifiedDateTime": "2021-12-01T00:00:00Z",
        "displayName": "Phishing-resistant MFA",
        "description": "Phishing-resistant, Passwordless methods for the strongest authentication, "
        "such as a FIDO2 security key",
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
    }


def _named_locations(t: Tenant) -> list[Json]:
    if t.profile not in (P.WELL_RUN, P.BP_GAPS, P.HYBRID):
        return []
    created = iso(t.random_past(100, 700))
    office = {
        "@odata.type": "#microsoft.graph.ipNamedLocation",
        "id": t.id(),
        "displayName": "Head office",
        "createdDateTime": created,
        "modifiedDateTime": created,
        "isTrusted": True,
        "ipRanges": [
            {
                "@odata.type": "#microsoft.graph.iPv4CidrRange",
                "cidrAddress": f"203.0.113.{t.rng.randrange(0, 224, 16)}/28",
            }
        ],
    }
    out = [office]
    if t.profile == P.WELL_RUN:
        out.append(
            {
                "@odata.type": "#microsoft.graph.countryNamedLocation",
                "id": t.id(),
                "displayName": "Allowed countries",
                "createdDateTime": created,
                "modifiedDateTime": created,
                "countriesAndRegions": ["US", "CA", "GB"],
                "includeUnknownCountriesAndRegions": False,
                "countryLookupMethod": "clientIpAddress",
            }
        )
    return out


def _role(name: str) -> str:
    return ROLES_BY_NAME[name].template_id


def _ca_policies(t: Tenant, locations: list[Json]) -> list[Json]:
    if LICENSE_ENTRA_P1 not in t.features:
        return []
    admin_roles = [GLOBAL_ADMIN, _role("Exchange Administrator"), _role("User Administrator")]
    if t.profile == P.BP_GAPS:
        exclusions = [t.special_groups["mfa_exclusions"]]
        return [
            _policy(
                t,
                "Require MFA - all users",
                "enabled",
                _users(include_users=["All"], exclude_groups=exclusions),
                controls=["mfa"],
            ),
            _policy(
                t,
                "Require MFA - admins",
                "enabledForReportingButNotEnforced",
                _users(include_roles=admin_roles),
                controls=["mfa"],
            ),
            _policy(
                t,
                "Block legacy authentication",
                "disabled",
                _users(include_users=["All"]),
                controls=["block"],
                client_apps=list(LEGACY_CLIENTS),
            ),
            _policy(
                t,
                "Require compliant device - Windows",
                "enabled",
                _users(include_users=["All"], exclude_groups=exclusions),
                controls=["compliantDevice", "mfa"],
                platforms={"includePlatforms": ["windows"], "excludePlatforms": []},
            ),
        ]
    if t.profile == P.WELL_RUN:
        breakglass = [p.id for p in t.people if p.emergency]
        allowed = next(loc["id"] for loc in locations if loc["displayName"] == "Allowed countries")
        return [
            _policy(
                t,
                "CA001 - Require phishing-resistant MFA for admins",
                "enabled",
                _users(include_roles=list(PRIVILEGED_ROLE_IDS), exclude_users=breakglass),
                strength=_phishing_resistant(),
            ),
            _policy(
                t,
                "CA002 - Require MFA for all users",
                "enabled",
                _users(include_users=["All"], exclude_users=breakglass),
                controls=["mfa"],
            ),
            _policy(
                t,
                "CA003 - Block legacy authentication",
                "enabled",
                _users(include_users=["All"], exclude_users=breakglass),
                controls=["block"],
                client_apps=list(LEGACY_CLIENTS),
            ),
            _policy(
                t,
                "CA004 - Block high sign-in risk",
                "enabled",
                _users(include_users=["All"], exclude_users=breakglass),
                controls=["block"],
                sign_in_risk=["high"],
            ),
            _policy(
                t,
                "CA005 - Block high user risk",
                "enabled",
                _users(include_users=["All"], exclude_users=breakglass),
                controls=["block"],
                user_risk=["high"],
            ),
            _policy(
                t,
                "CA006 - Require compliant or hybrid joined device",
                "enabled",
                _users(include_users=["All"], exclude_users=breakglass),
                controls=["compliantDevice", "domainJoinedDevice"],
                platforms={"includePlatforms": ["all"], "excludePlatforms": []},
            ),
            _policy(
                t,
                "CA007 - Block access outside allowed countries",
                "enabled",
                _users(include_users=["All"], exclude_users=breakglass),
                controls=["block"],
                locations={"includeLocations": ["All"], "excludeLocations": [allowed]},
            ),
            *_well_run_additions(t, breakglass),
        ]
    if t.profile == P.HYBRID:
        sync_role = [_role("Directory Synchronization Accounts")]
        return [
            _policy(
                t,
                "Require MFA for administrators",
                "enabled",
                _users(include_roles=[*admin_roles, _role("Hybrid Identity Administrator")]),
                controls=["mfa"],
            ),
            _policy(
                t,
                "Block legacy authentication",
                "enabled",
                _users(include_users=["All"], exclude_roles=sync_role),
                controls=["block"],
                client_apps=list(LEGACY_CLIENTS),
            ),
            _policy(
                t,
                "Require MFA for all users (pilot)",
                "enabledForReportingButNotEnforced",
                _users(include_users=["All"], exclude_roles=sync_role),
                controls=["mfa"],
            ),
        ]
    if t.profile == P.GUEST_HEAVY:
        return [
            _policy(
                t,
                "Require MFA for admins",
                "enabled",
                _users(include_roles=admin_roles),
                controls=["mfa"],
            ),
            _policy(
                t,
                "Require MFA for guests",
                "enabledForReportingButNotEnforced",
                _users(include_guests=True),
                controls=["mfa"],
            ),
        ]
    return []


def _well_run_additions(t: Tenant, breakglass: list[str]) -> list[Json]:
    """Policies added later in the well-run tenant's life (their own generator, so the rest of
    the tenant stays as it was): block the device code flow, and allow registering security
    information only from a compliant or hybrid-joined device."""
    rng = t.side_rng("conditional-access")
    everyone = _users(include_users=["All"], exclude_users=breakglass)
    return [
        _policy(
            t,
            "CA008 - Block device code flow",
            "enabled",
            everyone,
            controls=["block"],
            transfer_methods="deviceCodeFlow",
            rng=rng,
        ),
        _policy(
            t,
            "CA009 - Register security info from a managed device",
            "enabled",
            everyone,
            controls=["compliantDevice", "domainJoinedDevice"],
            user_actions=[REGISTER_SECURITY_INFO],
            rng=rng,
        ),
    ]


def build_conditional_access(t: Tenant) -> None:
    locations = _named_locations(t)
    t.data["identity/conditionalAccess/policies"] = {"value": _ca_policies(t, locations)}
    t.data["identity/conditionalAccess/namedLocations"] = {"value": locations}
