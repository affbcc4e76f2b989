"""CISA SCuBA Entra ID baseline: the conditional-access policies (MS.AAD.1.1, 2.1, 2.3, 3.1,
3.2, 3.6, 3.7, 3.8, 3.9).

Each check asks :func:`~remit.posture.checks.scuba_aad_ca.evaluate` whether an enabled policy
meets the baseline's implementation section, with the qualifying rules ScubaGear applies
(Rego/AADConfig.rego; see :mod:`remit.posture.checks.scuba_aad_ca` for the details and where
Remit is stricter). The other SCuBA Entra ID checks live in :mod:`scuba_aad_settings`,
:mod:`scuba_aad_apps` and :mod:`scuba_aad_privileged`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from remit.posture.checks.scuba_aad_ca import (
    Requirement,
    evaluate,
    needs_managed_device,
    needs_mfa,
    needs_phishing_resistant,
    strings,
)
from remit.posture.data import TenantData
from remit.posture.engine import CheckFn
from remit.posture.model import Outcome


def _legacy_clients(conditions: dict[str, Any]) -> bool:
    # AADConfig.rego LegacyAuthentication: "other" and "exchangeActiveSync" in ClientAppTypes.
    apps = strings(conditions.get("clientAppTypes"))
    return "exchangeActiveSync" in apps and "other" in apps


def _high(key: str) -> Callable[[dict[str, Any]], bool]:
    # AADConfig.rego BlockHighRisk / SignInBlocked: "high" in UserRiskLevels / SignInRiskLevels.
    return lambda conditions: "high" in strings(conditions.get(key))


def _device_code_flow(conditions: dict[str, Any]) -> bool:
    flows = (conditions.get("authenticationFlows") or {}).get("transferMethods")
    return "deviceCodeFlow" in strings(flows)


LEGACY_AUTH = Requirement(
    does="blocks legacy authentication (Exchange ActiveSync and other clients) for all users",
    block=True,
    condition=_legacy_clients,
    own=frozenset({"clientAppTypes"}),
    condition_text="the client apps Exchange ActiveSync and Other clients",
)
HIGH_USER_RISK = Requirement(
    does="blocks users whose user risk is high",
    block=True,
    condition=_high("userRiskLevels"),
    own=frozenset({"userRiskLevels"}),
    condition_text="user risk High",
)
HIGH_SIGN_IN_RISK = Requirement(
    does="blocks sign-ins whose sign-in risk is high",
    block=True,
    condition=_high("signInRiskLevels"),
    own=frozenset({"signInRiskLevels"}),
    condition_text="sign-in risk High",
)
# MFAPolicies in AADConfig.rego: All users, All resources, no excluded application, only
# phishing-resistant methods in the authentication strength.
PHISHING_RESISTANT_ALL = Requirement(
    does="requires phishing-resistant MFA for all users",
    grant=needs_phishing_resistant,
    needs="a phishing-resistant authentication strength",
    near=needs_mfa,
    strict_app_exclusions=True,
)
# AlternativeMFA: builtInControls "mfa", or a policy that already qualifies for 3.1; the 3.2v2
# instructions also accept an authentication strength (options 1 and 3).
MFA_ALL = Requirement(does="requires MFA for all users", grant=needs_mfa, needs="MFA")
# PhishingResistantMFA: every highly privileged role included and none excluded.
PHISHING_RESISTANT_PRIVILEGED = Requirement(
    does="requires phishing-resistant MFA for every highly privileged role",
    grant=needs_phishing_resistant,
    needs="a phishing-resistant authentication strength",
    near=needs_mfa,
    users="privileged",
    strict_app_exclusions=True,
)
# ManagedDeviceAuth: "compliantDevice" or "domainJoinedDevice" in the grant.
MANAGED_DEVICE = Requirement(
    does="requires a compliant or hybrid-joined device for all users",
    grant=needs_managed_device,
    needs="a compliant or hybrid-joined device",
)
# RequireManagedDeviceMFA: the user action urn:user:registersecurityinfo.
MANAGED_DEVICE_REGISTRATION = Requirement(
    does="requires a compliant or hybrid-joined device to register security information",
    grant=needs_managed_device,
    needs="a compliant or hybrid-joined device",
    target="register-security-info",
)
DEVICE_CODE_FLOW = Requirement(
    does="blocks the device code flow for all users",
    block=True,
    condition=_device_code_flow,
    own=frozenset({"authenticationFlows"}),
    condition_text="the authentication flow Device code flow",
)


def _check(req: Requirement) -> CheckFn:
    def check(data: TenantData) -> Outcome:
        return evaluate(data, req)

    return check


CHECKS: dict[str, CheckFn] = {
    "MS.AAD.1.1": _check(LEGACY_AUTH),
    "MS.AAD.2.1": _check(HIGH_USER_RISK),
    "MS.AAD.2.3": _check(HIGH_SIGN_IN_RISK),
    "MS.AAD.3.1": _check(PHISHING_RESISTANT_ALL),
    "MS.AAD.3.2": _check(MFA_ALL),
    "MS.AAD.3.6": _check(PHISHING_RESISTANT_PRIVILEGED),
    "MS.AAD.3.7": _check(MANAGED_DEVICE),
    "MS.AAD.3.8": _check(MANAGED_DEVICE_REGISTRATION),
    "MS.AAD.3.9": _check(DEVICE_CODE_FLOW),
}
