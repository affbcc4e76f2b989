"""Microsoft Secure Score: 30 daily scores and the control profiles they are made of.

The controls a tenant is scored on depend on its licences (Defender for Office 365 Plan 1,
Defender for Endpoint, Entra ID P1/P2, Purview), so the maximum runs from about 200 points for
Business Basic/Standard to about 400 for Microsoft 365 E5. Identity controls score what the tenant's
data shows (admins with MFA, a CA policy blocking legacy authentication, ...); the other products'
controls are filled up to a share of the maximum that fits the profile. The last 30 days follow
the profile too: neglected small offices stay flat (the one with security defaults slides by
6-9 percentage points, as settings get switched off), the business-premium tenant climbs slowly,
the well-run tenant holds steady at 74-84 %.

Control names are Microsoft's (``AdminMFAV2``, ``mdo_safeattachments``, ...); the Defender for
Endpoint recommendations use Microsoft's ``scid_<n>`` form with illustrative numbers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from remit.emulator.synthetic import profiles as P
from remit.emulator.synthetic.accounts import MFA_METHODS
from remit.emulator.synthetic.catalog import GLOBAL_ADMIN
from remit.emulator.synthetic.common import Json, Person, Tenant, iso

DAYS = 30


@dataclass(frozen=True, slots=True)
class Control:
    name: str
    category: str  # Identity, Apps, Data, Device
    service: str
    max_score: float
    title: str
    needs: str = ""  # a service plan family the tenant must have (see _FAMILIES); "" for all
    tier: str = "Core"
    impact: str = "Low"
    cost: str = "Low"
    threats: tuple[str, ...] = ("Account Breach",)


def _identity(name: str, points: float, title: str, needs: str = "") -> Control:
    return Control(name, "Identity", "AzureAD", points, title, needs)


CONTROLS: tuple[Control, ...] = (
    _identity(
        "AdminMFAV2",
        10,
        "Ensure multifactor authentication is enabled for all users in administrative roles",
    ),
    _identity("MFARegistrationV2", 9, "Ensure multifactor authentication is enabled for all users"),
    _identity(
        "BlockLegacyAuthentication",
        8,
        "Enable Conditional Access policies to block legacy authentication",
    ),
    _identity(
        "PWAgePolicyNew",
        8,
        "Ensure the 'Password expiration policy' is set to 'Set passwords to never expire "
        "(recommended)'",
    ),
    _identity(
        "IntegratedApps", 4, "Do not allow users to grant consent to unreliable applications"
    ),
    _identity("aad_admin_consent_workflow", 4, "Ensure the admin consent workflow is enabled"),
    _identity(
        "aad_third_party_apps", 4, "Ensure third party integrated applications are not allowed"
    ),
    _identity(
        "aad_admin_accounts_separate_unassigned_cloudonly",
        3,
        "Ensure administrative accounts are separate and cloud-only",
    ),
    _identity("OneAdmin", 1, "Designate more than one global admin"),
    _identity("aad_limited_administrative_roles", 1, "Use least privileged administrative roles"),
    _identity(
        "aad_linkedin_connection_disables", 1, "Ensure LinkedIn account connections are disabled"
    ),
    _identity("SelfServicePasswordReset", 1, "Enable self-service password reset", "P1"),
    _identity(
        "aad_password_protection",
        1,
        "Enable Microsoft Entra Password Protection for on-premises Active Directory",
        "P1",
    ),
    _identity(
        "aad_sign_in_freq_session_timeout",
        1,
        "Ensure sign-in frequency is enabled and browser sessions are not persistent for "
        "administrative users",
        "P1",
    ),
    _identity(
        "SigninRiskPolicy",
        7,
        "Enable Microsoft Entra ID Identity Protection sign-in risk policies",
        "P2",
    ),
    _identity(
        "UserRiskPolicy",
        7,
        "Enable Microsoft Entra ID Identity Protection user risk policies",
        "P2",
    ),
    Control(
        "exo_oauth2clientprofileenabled",
        "Apps",
        "EXO",
        10,
        "Ensure modern authentication for Exchange Online is enabled",
    ),
    Control(
        "exo_mailboxaudit", "Data", "EXO", 10, "Ensure mailbox auditing for all users is Enabled"
    ),
    Control(
        "exo_outlookaddins",
        "Apps",
        "EXO",
        8,
        "Ensure users installing Outlook add-ins is not allowed",
    ),
    Control(
        "exo_individualsharing",
        "Data",
        "EXO",
        8,
        "Ensure calendar details sharing with external users is disabled",
    ),
    Control(
        "exo_storageproviderrestricted",
        "Data",
        "EXO",
        8,
        "Ensure additional storage providers are restricted in Outlook on the web",
    ),
    Control(
        "mdo_commonattachmentsfilter",
        "Apps",
        "MDO",
        9,
        "Ensure the common attachment types filter is enabled",
    ),
    Control("mdo_zapspam", "Apps", "MDO", 9, "Ensure zero-hour auto purge for spam is on"),
    Control("mdo_zapphish", "Apps", "MDO", 9, "Ensure zero-hour auto purge for phishing is on"),
    Control("mdo_zapmalware", "Apps", "MDO", 9, "Ensure zero-hour auto purge for malware is on"),
    Control(
        "mdo_highconfidencespamaction",
        "Apps",
        "MDO",
        9,
        "Set action to take on high confidence spam detection",
    ),
    Control("mdo_bulkspamaction", "Apps", "MDO", 9, "Set action to take on bulk spam detection"),
    Control(
        "mdo_spam_notifications_only_for_admins",
        "Apps",
        "MDO",
        8,
        "Set up notifications for internal users sending malware",
    ),
    Control(
        "mip_search_auditlog",
        "Data",
        "Purview",
        10,
        "Ensure Microsoft 365 audit log search is Enabled",
    ),
    Control(
        "meeting_restrictanonymousjoin_v1",
        "Apps",
        "MicrosoftTeams",
        10,
        "Ensure anonymous users can't join a meeting",
    ),
    Control(
        "meeting_autoadmitusers_v1",
        "Apps",
        "MicrosoftTeams",
        9,
        "Ensure only people in my org can bypass the lobby",
    ),
    Control(
        "meeting_designatedpresenter_v1",
        "Apps",
        "MicrosoftTeams",
        9,
        "Ensure only organizers and co-organizers can present",
    ),
    Control("DLPEnabled", "Data", "Purview", 10, "Ensure DLP policies are enabled", "DLP"),
    Control(
        "mip_autosensitivitylabelspolicies",
        "Data",
        "Purview",
        5,
        "Create auto-labeling policies for sensitivity labels",
        "MIP2",
    ),
    Control(
        "CustomerLockBoxEnabled",
        "Data",
        "Purview",
        1,
        "Ensure the customer lockbox feature is enabled",
        "MIP2",
    ),
    Control(
        "mdo_safeattachments", "Apps", "MDO", 9, "Turn on Safe Attachments in block mode", "MDO"
    ),
    Control(
        "mdo_safelinksforemail", "Apps", "MDO", 9, "Ensure Safe Links for email is enabled", "MDO"
    ),
    Control(
        "mdo_safelinksforOfficeApps",
        "Apps",
        "MDO",
        9,
        "Ensure Safe Links for Office applications is enabled",
        "MDO",
    ),
    Control(
        "mdo_atpprotection",
        "Apps",
        "MDO",
        9,
        "Turn on Defender for Office 365 in SharePoint, OneDrive, and Microsoft Teams",
        "MDO",
    ),
    Control(
        "mdo_enablemailboxintelligence",
        "Apps",
        "MDO",
        9,
        "Enable the mailbox intelligence protection in anti-phishing policies",
        "MDO",
    ),
    Control(
        "mdo_phishthresholdlevel",
        "Apps",
        "MDO",
        9,
        "Set the phishing email level threshold at 2 or higher",
        "MDO",
    ),
    *(
        Control(name, "Device", "MDE", points, title, "MDE", tier="Core")
        for name, points, title in (
            ("scid_2010", 10, "Turn on Microsoft Defender Antivirus"),
            ("scid_2011", 9, "Update Microsoft Defender Antivirus definitions"),
            ("scid_2012", 9, "Turn on real-time protection"),
            ("scid_2013", 9, "Turn on PUA protection in block mode"),
            ("scid_2016", 9, "Turn on cloud-delivered protection"),
            ("scid_2090", 9, "Turn on Tamper Protection"),
            ("scid_91", 8, "Block Office applications from creating child processes"),
            ("scid_96", 9, "Block credential stealing from the Windows local security authority"),
            ("scid_2200", 8, "Encrypt all supported drives with BitLocker"),
        )
    ),
    *(
        Control(name, "Device", "MDE", points, title, "MDE2", tier="Defense in Depth")
        for name, points, title in (
            ("scid_2501", 9, "Turn on network protection in block mode"),
            ("scid_2502", 9, "Enable Microsoft Defender for Endpoint EDR in block mode"),
            ("scid_2503", 9, "Turn on automated investigation and remediation"),
            ("scid_2504", 9, "Enable attack surface reduction rules for ransomware"),
        )
    ),
)

# Service plans that give each family of controls (one of them is enough).
_FAMILIES: dict[str, frozenset[str]] = {
    "P1": frozenset({"AAD_PREMIUM", "AAD_PREMIUM_P2"}),
    "P2": frozenset({"AAD_PREMIUM_P2"}),
    "DLP": frozenset({"RMS_S_ENTERPRISE", "RMS_S_PREMIUM"}),
    "MIP2": frozenset({"RMS_S_PREMIUM2"}),
    "MDO": frozenset({"ATP_ENTERPRISE"}),
    "MDE": frozenset({"MDE_SMB", "WINDEFATP"}),
    "MDE2": frozenset({"WINDEFATP"}),
}
_ACTION_URLS = {
    "AzureAD": "https://entra.microsoft.com/",
    "EXO": "https://admin.exchange.microsoft.com/",
    "MDO": "https://security.microsoft.com/threatpolicy",
    "MDE": "https://security.microsoft.com/securescore",
    "Purview": "https://purview.microsoft.com/",
    "MicrosoftTeams": "https://admin.teams.microsoft.com/",
}

# profile -> (share of the maximum today (low, high), change over the 30 days in percentage
# points (low, high): negative falls, positive rises, zero stays flat)
_COURSE: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    P.NO_CA: ((0.18, 0.30), (0.0, 0.0)),
    P.SECDEFAULTS: ((0.47, 0.56), (-9.0, -6.0)),
    P.BP_GAPS: ((0.42, 0.50), (3.0, 6.0)),
    P.WELL_RUN: ((0.74, 0.84), (0.0, 0.0)),
    P.HYBRID: ((0.36, 0.46), (0.0, 0.0)),
    P.GUEST_HEAVY: ((0.28, 0.38), (0.0, 0.0)),
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
            and "other" in conditions["clientAppTypes"]
        ):
            return True
        if predicate == "signin" and conditions["signInRiskLevels"]:
            return True
        if predicate == "user" and conditions["userRiskLevels"]:
            return True
    return False


def _identity_fractions(t: Tenant) -> dict[str, float]:
    """What the tenant's own data says about each identity control (0 to 1)."""
    enabled = [p for p in t.members if p.enabled]
    admins = [p for p in t.people if p.is_admin]
    global_admins = [p for p in t.people if GLOBAL_ADMIN in p.active_roles + p.eligible_roles]
    secdefaults = t.data["policies/identitySecurityDefaultsEnforcementPolicy"]["isEnabled"]
    authorization = t.data["policies/authorizationPolicy"]
    consent = authorization["defaultUserRolePermissions"]["permissionGrantPoliciesAssigned"]
    strict = t.profile == P.WELL_RUN
    return {
        "AdminMFAV2": 1.0 if secdefaults else _share(admins),
        "MFARegistrationV2": _share(enabled),
        "BlockLegacyAuthentication": 1.0 if secdefaults or _ca_has(t, "legacy") else 0.0,
        "PWAgePolicyNew": 1.0,
        "IntegratedApps": 0.0 if any("legacy" in c or "low" in c for c in consent) else 1.0,
        "aad_admin_consent_workflow": (
            1.0 if t.data["policies/adminConsentRequestPolicy"]["isEnabled"] else 0.0
        ),
        "aad_third_party_apps": (
            0.0 if authorization["defaultUserRolePermissions"]["allowedToCreateApps"] else 1.0
        ),
        "aad_admin_accounts_separate_unassigned_cloudonly": 1.0 if strict else 0.0,
        "OneAdmin": 1.0 if len(global_admins) >= 2 else 0.0,
        "aad_limited_administrative_roles": 1.0 if len(global_admins) <= 4 else 0.0,
        "aad_linkedin_connection_disables": 1.0 if strict else 0.0,
        "SelfServicePasswordReset": 1.0,
        "aad_password_protection": 1.0 if strict or t.profile == P.HYBRID else 0.0,
        "aad_sign_in_freq_session_timeout": 1.0 if strict else 0.0,
        "SigninRiskPolicy": 1.0 if _ca_has(t, "signin") else 0.0,
        "UserRiskPolicy": 1.0 if _ca_has(t, "user") else 0.0,
    }


def scored_controls(t: Tenant) -> list[Control]:
    """The controls the tenant's licences make it scored on."""
    plans = {plan for sku in t.skus for plan in sku.plans}
    return [c for c in CONTROLS if not c.needs or plans & _FAMILIES[c.needs]]


def _today(
    t: Tenant, controls: list[Control], rng: random.Random, target: float
) -> dict[str, float]:
    """Today's fraction of each control: identity from the data, the rest filled (in a random
    order, the last one partly) up to ``target`` points."""
    identity = _identity_fractions(t)
    today = {c.name: identity[c.name] for c in controls if c.category == "Identity"}
    total = sum(c.max_score * today[c.name] for c in controls if c.name in today)
    others = [c for c in controls if c.name not in today]
    rng.shuffle(others)
    for control in others:
        room = target - total
        fraction = 0.0 if room <= 0 else min(1.0, room / control.max_score)
        if 0 < fraction < 1 and control.category != "Device":
            fraction = 0.0  # settings are on or off; device controls count devices
        today[control.name] = round(fraction, 4)
        total += control.max_score * today[control.name]
    return today


def _history(
    controls: list[Control], today: dict[str, float], rng: random.Random, change: float
) -> dict[str, tuple[int, float]]:
    """Controls whose score changed in the last 30 days: name -> (days ago it changed, the
    fraction before). ``change`` is in points: when rising, some controls that are on today
    were off before; when falling, some that are off (or partly on) today were fully on before;
    as many as it takes to reach the change without overshooting it by much."""
    out: dict[str, tuple[int, float]] = {}
    if change == 0:
        return out
    rising = change > 0
    pool = [c for c in controls if c.category != "Identity"]
    pool = [c for c in pool if (today[c.name] == 1.0) == rising]
    rng.shuffle(pool)
    moved, wanted = 0.0, abs(change)
    for control in pool:
        before = 0.0 if rising else 1.0
        step = control.max_score * abs(before - today[control.name])
        if moved >= wanted:
            break
        if moved and moved + step > wanted * 1.4:
            continue  # would overshoot: try a smaller control
        out[control.name] = (rng.randrange(3, DAYS - 3), before)
        moved += step
    return out


def build_secure_score(t: Tenant) -> None:
    rng = t.side_rng("secure-score")
    controls = scored_controls(t)
    max_score = sum(c.max_score for c in controls)
    (low, high), (fall_low, fall_high) = _COURSE[t.profile]
    today = _today(t, controls, rng, rng.uniform(low, high) * max_score)
    changed = _history(controls, today, rng, rng.uniform(fall_low, fall_high) / 100 * max_score)
    vendor = {
        "provider": "SecureScore",
        "providerVersion": None,
        "subProvider": None,
        "vendor": "Microsoft",
    }
    licensed = sum(1 for p in t.members if p.licensed)
    active = sum(1 for p in t.members if p.last_sign_in and p.last_sign_in > t.ago(days=30))
    services = ["HasExchange", "HasSharePoint", "HasOD4B"]
    days: list[Json] = []
    for back in range(DAYS):
        day = (t.now - timedelta(days=back)).replace(hour=0, minute=0, second=0, microsecond=0)
        scores: list[Json] = []
        total = 0.0
        for control in controls:
            when, before = changed.get(control.name, (DAYS, today[control.name]))
            score = round(control.max_score * (today[control.name] if back < when else before), 2)
            total += score
            scores.append(
                {
                    "controlCategory": control.category,
                    "controlName": control.name,
                    "description": control.title,
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
                "enabledServices": services,
                "averageComparativeScores": [
                    {"basis": "AllTenants", "averageScore": round(0.38 * max_score, 2)},
                    {"basis": "TotalSeats", "averageScore": round(0.42 * max_score, 2)},
                ],
                "controlScores": scores,
                "vendorInformation": vendor,
            }
        )
    t.data["security/secureScores"] = {"value": days}
    t.data["security/secureScoreControlProfiles"] = {
        "value": [
            _profile(t, rng, rank, control, vendor) for rank, control in enumerate(controls, 1)
        ]
    }


def _profile(t: Tenant, rng: random.Random, rank: int, control: Control, vendor: Json) -> Json:
    modified = t.now - timedelta(seconds=int(rng.uniform(30, 400) * 86400))
    return {
        "id": control.name,
        "azureTenantId": t.tenant_id,
        "actionType": "Config",
        "actionUrl": _ACTION_URLS[control.service],
        "controlCategory": control.category,
        "title": control.title,
        "deprecated": False,
        "implementationCost": control.cost,
        "lastModifiedDateTime": iso(modified),
        "maxScore": control.max_score,
        "rank": rank,
        "remediation": f"<p>{control.title}.</p>",
        "remediationImpact": f"<p>Users may be affected: {control.impact.lower()} impact.</p>",
        "service": control.service,
        "threats": list(control.threats),
        "tier": control.tier,
        "userImpact": control.impact,
        "complianceInformation": [],
        "controlStateUpdates": [],
        "vendorInformation": vendor,
    }
