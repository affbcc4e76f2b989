"""SCuBA tenant-setting checks: authentication methods (MS.AAD.3.3-3.5), app registration and
consent (5.1-5.3), password expiry (6.1) and guests (8.1, 8.2)."""

from __future__ import annotations

from typing import Any

import pytest

from remit.domain import EndpointOutcome
from remit.posture.data import TenantData
from remit.posture.model import Status
from tests.posture.scuba_fixtures import (
    ADMIN_CONSENT,
    AUTH_METHODS,
    AUTHORIZATION,
    DOMAIN,
    INITIAL,
    LIMITED_GUEST,
    MEMBER_GUEST,
    MFA_EXCLUSIONS,
    NOW,
    RESTRICTED_GUEST,
    admin_consent,
    auth_methods,
    authorization,
    compliant,
    domain,
    feature,
    resource_ids,
    run,
    snapshot,
)


def tenant(**settings: Any) -> dict[str, Any]:
    payloads = compliant()
    payloads.update(settings)
    return payloads


# --- MS.AAD.3.3: Authenticator shows login context ---------------------------------------------


def test_authenticator_context_passes_when_both_settings_are_on_for_all_users() -> None:
    outcome = run("MS.AAD.3.3", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert resource_ids(outcome) == {"MicrosoftAuthenticator"}


def test_authenticator_context_left_to_microsoft_fails() -> None:
    methods = auth_methods(app_info=feature("default"), location=feature("disabled"))
    outcome = run("MS.AAD.3.3", snapshot(tenant(**{AUTH_METHODS: methods})))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "Microsoft Authenticator is enabled but the application name is left to Microsoft "
        "(default), not enabled; the geographic location is disabled."
    )


def test_authenticator_context_for_one_group_only_fails() -> None:
    methods = auth_methods(location=feature(include=MFA_EXCLUSIONS["id"]))
    outcome = run("MS.AAD.3.3", snapshot(tenant(**{AUTH_METHODS: methods})))
    assert outcome.status is Status.FAIL
    assert "the geographic location is shown only to the group 'MFA Exclusions'" in (
        outcome.details
    )


def test_authenticator_otp_fails_the_implementation_settings() -> None:
    outcome = run("MS.AAD.3.3", snapshot(tenant(**{AUTH_METHODS: auth_methods(otp=True)})))
    assert outcome.status is Status.FAIL
    assert "Authenticator one-time passcodes, which show no context, are allowed" in (
        outcome.details
    )


def test_authenticator_context_with_an_excluded_group_is_a_warning() -> None:
    methods = auth_methods(app_info=feature(exclude=MFA_EXCLUSIONS["id"]))
    outcome = run("MS.AAD.3.3", snapshot(tenant(**{AUTH_METHODS: methods})))
    assert outcome.status is Status.WARN
    assert "the application name is not shown to the group 'MFA Exclusions'" in outcome.details


def test_authenticator_context_does_not_apply_when_authenticator_is_off() -> None:
    methods = auth_methods(authenticator="disabled", app_info=feature("default"))
    outcome = run("MS.AAD.3.3", snapshot(tenant(**{AUTH_METHODS: methods})))
    assert outcome.status is Status.NOT_APPLICABLE
    assert "not enabled" in outcome.details


def test_authentication_method_checks_error_without_the_policy() -> None:
    data = snapshot(
        compliant(), missing=[(AUTH_METHODS, EndpointOutcome.MISSING_PERMISSION, "Policy.Read.All")]
    )
    for check_id in ("MS.AAD.3.3", "MS.AAD.3.4", "MS.AAD.3.5"):
        outcome = run(check_id, data)
        assert outcome.status is Status.ERROR
        assert outcome.details == (
            "the app lacks the Graph permission Policy.Read.All (reading "
            "policies/authenticationMethodsPolicy)"
        )


def test_method_configurations_not_expanded_is_an_error_not_a_pass() -> None:
    methods = auth_methods()
    del methods["authenticationMethodConfigurations"]
    outcome = run("MS.AAD.3.5", snapshot(tenant(**{AUTH_METHODS: methods})))
    assert outcome.status is Status.ERROR
    assert "without its authenticationMethodConfigurations" in outcome.details


# --- MS.AAD.3.4: migration complete ------------------------------------------------------------


@pytest.mark.parametrize("state", ["preMigration", "migrationInProgress"])
def test_migration_not_complete_fails(state: str) -> None:
    outcome = run("MS.AAD.3.4", snapshot(tenant(**{AUTH_METHODS: auth_methods(migration=state)})))
    assert outcome.status is Status.FAIL
    assert f"migration is {state}, not migrationComplete" in outcome.details


def test_migration_complete_passes() -> None:
    assert run("MS.AAD.3.4", snapshot(compliant())).status is Status.PASS


# --- MS.AAD.3.5: SMS, voice and email OTP disabled ---------------------------------------------


def test_weak_methods_disabled_passes() -> None:
    outcome = run("MS.AAD.3.5", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert resource_ids(outcome) == {"Sms", "Voice", "Email"}


def test_an_enabled_weak_method_fails_and_is_named() -> None:
    methods = auth_methods(sms="enabled", email="enabled")
    outcome = run("MS.AAD.3.5", snapshot(tenant(**{AUTH_METHODS: methods})))
    assert outcome.status is Status.FAIL
    assert outcome.details == "SMS and Email OTP are enabled in the authentication methods policy."
    assert resource_ids(outcome) == {"Sms", "Email"}


def test_weak_methods_off_before_migration_is_a_warning() -> None:
    methods = auth_methods(migration="preMigration")
    outcome = run("MS.AAD.3.5", snapshot(tenant(**{AUTH_METHODS: methods})))
    assert outcome.status is Status.WARN
    assert "the migration is preMigration" in outcome.details


# --- MS.AAD.5.1, 5.2, 5.3: applications --------------------------------------------------------


def test_app_registration() -> None:
    assert run("MS.AAD.5.1", snapshot(compliant())).status is Status.PASS
    outcome = run(
        "MS.AAD.5.1", snapshot(tenant(**{AUTHORIZATION: authorization(create_apps=True)}))
    )
    assert outcome.status is Status.FAIL
    assert outcome.details.startswith("Every user can register applications")
    assert resource_ids(outcome) == {"authorizationPolicy"}


def test_app_registration_setting_missing_is_an_error() -> None:
    policy = authorization()
    del policy["defaultUserRolePermissions"]["allowedToCreateApps"]
    outcome = run("MS.AAD.5.1", snapshot(tenant(**{AUTHORIZATION: policy})))
    assert outcome.status is Status.ERROR
    assert "defaultUserRolePermissions.allowedToCreateApps" in outcome.details


def test_the_beta_shape_of_the_authorization_policy_is_read_too() -> None:
    payloads = compliant()
    payloads[AUTHORIZATION] = {"value": [authorization(create_apps=True)]}
    # The beta collection shape is not a v1.0 payload, so it skips the CSDL check.
    outcome = run("MS.AAD.5.1", TenantData(payloads, now=NOW))
    assert outcome.status is Status.FAIL


CONSENT = "ManagePermissionGrantsForSelf."


@pytest.mark.parametrize(
    ("policies", "status", "words"),
    [
        ([], Status.PASS, "Users cannot consent to applications"),
        (
            [f"{CONSENT}microsoft-user-default-legacy"],
            Status.FAIL,
            "users can consent to any app for any permission it asks",
        ),
        (
            [f"{CONSENT}microsoft-user-default-recommended"],
            Status.FAIL,
            "Microsoft manages user consent",
        ),
        ([f"{CONSENT}custom-consent"], Status.FAIL, "the custom consent policy custom-consent"),
        ([f"{CONSENT}microsoft-user-default-low"], Status.WARN, "classified as low impact"),
    ],
)
def test_user_consent(policies: list[str], status: Status, words: str) -> None:
    rsc = (
        "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-chat"
    )
    payloads = tenant(**{AUTHORIZATION: authorization(consent=[rsc, *policies])})
    outcome = run("MS.AAD.5.2", snapshot(payloads))
    assert outcome.status is status
    assert words in outcome.details


def test_admin_consent_workflow() -> None:
    outcome = run("MS.AAD.5.3", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert outcome.details == "Users can request admin consent; 1 reviewer decides."
    off = run("MS.AAD.5.3", snapshot(tenant(**{ADMIN_CONSENT: admin_consent(enabled=False)})))
    assert off.status is Status.FAIL
    assert "off" in off.details
    nobody = run("MS.AAD.5.3", snapshot(tenant(**{ADMIN_CONSENT: admin_consent(reviewers=0)})))
    assert nobody.status is Status.FAIL
    assert "names no reviewers" in nobody.details
    missing = snapshot(
        compliant(), missing=[(ADMIN_CONSENT, EndpointOutcome.ERROR, "Graph answered 500")]
    )
    error = run("MS.AAD.5.3", missing)
    assert error.status is Status.ERROR
    assert "policies/adminConsentRequestPolicy" in error.details


# --- MS.AAD.6.1: passwords do not expire -------------------------------------------------------


def test_passwords_never_expire_with_null_or_int_max() -> None:
    outcome = run("MS.AAD.6.1", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert resource_ids(outcome) == {DOMAIN, INITIAL}


def test_a_verified_domain_with_expiry_fails() -> None:
    domains = [domain(DOMAIN, validity=90), domain(INITIAL, validity=None)]
    outcome = run("MS.AAD.6.1", snapshot(tenant(domains={"value": domains})))
    assert outcome.status is Status.FAIL
    assert outcome.details == "Passwords expire on 1 domain: contoso.com (90 days)."
    assert resource_ids(outcome) == {DOMAIN}


def test_unverified_and_subdomains_are_not_judged() -> None:
    domains = [
        domain(DOMAIN),
        domain("new.example", validity=90, verified=False),
        domain("sub.contoso.com", validity=90, root=False),
    ]
    assert run("MS.AAD.6.1", snapshot(tenant(domains={"value": domains}))).status is Status.PASS


def test_federated_domains_are_named_not_judged() -> None:
    domains = [domain(DOMAIN), domain("corp.example", validity=90, federated=True)]
    outcome = run("MS.AAD.6.1", snapshot(tenant(domains={"value": domains})))
    assert outcome.status is Status.PASS
    assert "Passwords of corp.example are set by the federated identity provider" in (
        outcome.details
    )
    only_federated = [domain("corp.example", federated=True)]
    outcome = run("MS.AAD.6.1", snapshot(tenant(domains={"value": only_federated})))
    assert outcome.status is Status.NOT_APPLICABLE


def test_domains_not_read_is_an_error() -> None:
    data = snapshot(
        compliant(), missing=[("domains", EndpointOutcome.MISSING_PERMISSION, "Domain.Read.All")]
    )
    outcome = run("MS.AAD.6.1", data)
    assert outcome.status is Status.ERROR
    assert "Domain.Read.All" in outcome.details


# --- MS.AAD.8.1, 8.2: guests -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(RESTRICTED_GUEST, Status.PASS), (LIMITED_GUEST, Status.PASS), (MEMBER_GUEST, Status.FAIL)],
)
def test_guest_access_level(role: str, status: Status) -> None:
    outcome = run("MS.AAD.8.1", snapshot(tenant(**{AUTHORIZATION: authorization(guest_role=role)})))
    assert outcome.status is status
    if status is Status.FAIL:
        assert outcome.details == "Guests have the same access to the directory as members."


@pytest.mark.parametrize(
    ("invites", "status"),
    [
        ("adminsAndGuestInviters", Status.PASS),
        ("none", Status.PASS),
        ("adminsGuestInvitersAndAllMembers", Status.FAIL),
        ("everyone", Status.FAIL),
    ],
)
def test_guest_invites(invites: str, status: Status) -> None:
    outcome = run("MS.AAD.8.2", snapshot(tenant(**{AUTHORIZATION: authorization(invites=invites)})))
    assert outcome.status is status
    assert f"(allowInvitesFrom is {invites})" in outcome.details


def test_guest_checks_error_without_the_authorization_policy() -> None:
    data = snapshot(
        compliant(),
        missing=[(AUTHORIZATION, EndpointOutcome.MISSING_PERMISSION, "Policy.Read.All")],
    )
    for check_id in ("MS.AAD.5.1", "MS.AAD.5.2", "MS.AAD.8.1", "MS.AAD.8.2"):
        outcome = run(check_id, data)
        assert outcome.status is Status.ERROR
        assert "Policy.Read.All" in outcome.details
