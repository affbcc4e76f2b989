"""Security defaults off with no conditional access requiring MFA in their place."""

from __future__ import annotations

from remit.posture.model import Status
from tests.posture.hygiene_fixtures import (
    CA,
    SECURITY_DEFAULTS,
    Tenant,
    ca_policy,
    licence_refused,
    names,
    permission_refused,
    run,
)

CHECK = "remit.baseline.security-defaults"
ADMIN_ROLES = ("62e90394-69f5-4237-9190-012177145e10",)


def test_pass_when_security_defaults_are_on() -> None:
    outcome = run(CHECK, Tenant(security_defaults=True).data())
    assert outcome.status is Status.PASS
    assert outcome.details == "Security defaults are on."


def test_fail_critical_path_without_p1_is_not_an_error() -> None:
    t = Tenant(security_defaults=False)
    outcome = run(CHECK, t.data(licence_refused(CA), without=(CA,)))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "Security defaults are off and the tenant has no Microsoft Entra ID P1 licence, so no "
        "conditional-access policy can take their place: nothing requires MFA."
    )


def test_fail_when_no_enabled_policy_requires_mfa() -> None:
    t = Tenant(security_defaults=False)
    t.policies = [
        ca_policy("MFA pilot", state="enabledForReportingButNotEnforced"),
        ca_policy("Block legacy authentication", grant=("block",)),
    ]
    outcome = run(CHECK, t.data())
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "Security defaults are off and no enabled conditional-access policy requires MFA."
    )


def test_pass_when_conditional_access_requires_mfa_for_everyone() -> None:
    t = Tenant(security_defaults=False)
    everyone = ca_policy("Require MFA for all users")
    t.policies = [everyone, ca_policy("Require MFA for admins", users=(), roles=ADMIN_ROLES)]
    outcome = run(CHECK, t.data())
    assert outcome.status is Status.PASS
    assert "'Require MFA for all users'" in outcome.details
    assert names(outcome) == ["Require MFA for all users"]
    assert outcome.resources[0].type == "policy"


def test_an_authentication_strength_counts_as_mfa() -> None:
    t = Tenant(security_defaults=False)
    policy = ca_policy("Phishing-resistant MFA for all", grant=())
    policy["grantControls"]["authenticationStrength"] = {
        "id": "00000000-0000-0000-0000-000000000004",
        "displayName": "Phishing-resistant MFA",
    }
    t.policies = [policy]
    assert run(CHECK, t.data()).status is Status.PASS


def test_warn_when_mfa_covers_only_admins_or_risky_sign_ins() -> None:
    t = Tenant(security_defaults=False)
    risky = ca_policy("MFA on high user risk")
    risky["conditions"]["userRiskLevels"] = ["high"]
    t.policies = [ca_policy("Require MFA for admins", users=(), roles=ADMIN_ROLES), risky]
    outcome = run(CHECK, t.data())
    assert outcome.status is Status.WARN
    assert "'Require MFA for admins', 'MFA on high user risk'" in outcome.details
    assert len(outcome.resources) == 2


def test_warn_when_mfa_covers_one_platform_only() -> None:
    t = Tenant(security_defaults=False)
    windows = ca_policy("MFA on Windows")
    windows["conditions"]["platforms"] = {"includePlatforms": ["windows"], "excludePlatforms": []}
    t.policies = [windows]
    assert run(CHECK, t.data()).status is Status.WARN


def test_error_when_conditional_access_is_refused_for_a_permission() -> None:
    t = Tenant(security_defaults=False)
    outcome = run(CHECK, t.data(permission_refused(CA, "Policy.Read.All"), without=(CA,)))
    assert outcome.status is Status.ERROR
    assert "Policy.Read.All" in outcome.details


def test_error_when_the_security_defaults_policy_was_not_read() -> None:
    outcome = run(CHECK, Tenant().data(permission_refused(SECURITY_DEFAULTS, "Policy.Read.All")))
    assert outcome.status is Status.ERROR
    assert outcome.details == (
        "the app lacks the Graph permission Policy.Read.All "
        "(reading policies/identitySecurityDefaultsEnforcementPolicy)"
    )
