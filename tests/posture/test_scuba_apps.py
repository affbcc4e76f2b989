"""SCuBA application credential checks (MS.AAD.5.5, 5.6, 5.7), read from the tenant's default app
management policy, with ScubaGear's criteria (AADConfig_05_test.rego)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from remit.domain import EndpointOutcome
from remit.posture.checks.scuba_aad_apps import parse_duration
from remit.posture.model import Status
from tests.posture.scuba_fixtures import (
    APP_POLICY,
    app_policy,
    app_restrictions,
    compliant,
    resource_ids,
    restriction,
    run,
    snapshot,
)

DEFAULT_POLICY_ID = "00000000-0000-0000-0000-000000000000"


def tenant(policy: dict[str, Any]) -> dict[str, Any]:
    payloads = compliant()
    payloads[APP_POLICY] = policy
    return payloads


# Secrets can still be added to applications (both kinds), so lifetimes matter.
SECRETS_ALLOWED = app_restrictions(
    password_addition=restriction("passwordAddition", state="disabled"),
    symmetric_addition=restriction("symmetricKeyAddition", state="disabled"),
)


def test_not_collected_is_an_error_saying_so() -> None:
    payloads = compliant()
    del payloads[APP_POLICY]
    for check_id in ("MS.AAD.5.5", "MS.AAD.5.6", "MS.AAD.5.7"):
        outcome = run(check_id, snapshot(payloads))
        assert outcome.status is Status.ERROR
        assert outcome.details == "policies/defaultAppManagementPolicy was not collected"


def test_a_missing_permission_is_an_error_naming_it() -> None:
    data = snapshot(
        compliant(), missing=[(APP_POLICY, EndpointOutcome.MISSING_PERMISSION, "Policy.Read.All")]
    )
    outcome = run("MS.AAD.5.5", data)
    assert outcome.status is Status.ERROR
    assert "Policy.Read.All" in outcome.details


# --- MS.AAD.5.5 ---------------------------------------------------------------------------------


def test_password_addition_blocked_everywhere_passes() -> None:
    outcome = run("MS.AAD.5.5", snapshot(compliant()))
    assert outcome.status is Status.PASS
    assert resource_ids(outcome) == {DEFAULT_POLICY_ID}


def test_password_addition_allowed_for_applications_fails() -> None:
    policy = app_policy(
        apps=app_restrictions(password_addition=restriction("passwordAddition", state="disabled"))
    )
    outcome = run("MS.AAD.5.5", snapshot(tenant(policy)))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "Applications can still get client secrets: passwordAddition (Applications): restriction "
        "is not enabled."
    )


def test_symmetric_keys_allowed_for_service_principals_fails() -> None:
    policy = app_policy(
        service_principals=app_restrictions(
            symmetric_addition=restriction("symmetricKeyAddition", state="disabled")
        )
    )
    outcome = run("MS.AAD.5.5", snapshot(tenant(policy)))
    assert outcome.status is Status.FAIL
    assert "symmetricKeyAddition (ServicePrincipals): restriction is not enabled" in (
        outcome.details
    )


def test_a_created_after_date_exempts_older_apps_and_fails() -> None:
    dated = restriction("passwordAddition", since="2023-11-14T22:13:20Z")
    outcome = run(
        "MS.AAD.5.5", snapshot(tenant(app_policy(apps=app_restrictions(password_addition=dated))))
    )
    assert outcome.status is Status.FAIL
    assert "passwordAddition (Applications): apps created before 2023-11-14 are exempt" in (
        outcome.details
    )


def test_the_policy_switched_off_fails_every_check() -> None:
    data = snapshot(tenant(app_policy(enabled=False)))
    for check_id in ("MS.AAD.5.5", "MS.AAD.5.6", "MS.AAD.5.7"):
        outcome = run(check_id, data)
        assert outcome.status is Status.FAIL
        assert "the tenant's default app management policy is off" in outcome.details


def test_a_missing_restriction_fails() -> None:
    apps = app_restrictions()
    apps["passwordCredentials"] = apps["passwordCredentials"][1:]  # no passwordAddition entry
    outcome = run("MS.AAD.5.5", snapshot(tenant(app_policy(apps=apps))))
    assert outcome.status is Status.FAIL
    assert "passwordAddition (Applications): no restriction" in outcome.details


# --- MS.AAD.5.6 ---------------------------------------------------------------------------------


def test_password_lifetime_does_not_apply_when_addition_is_blocked() -> None:
    outcome = run("MS.AAD.5.6", snapshot(compliant()))
    assert outcome.status is Status.NOT_APPLICABLE
    assert "MS.AAD.5.5" in outcome.details


def test_password_lifetime_of_181_days_passes_when_secrets_are_allowed() -> None:
    policy = app_policy(apps=SECRETS_ALLOWED, service_principals=SECRETS_ALLOWED)
    outcome = run("MS.AAD.5.6", snapshot(tenant(policy)))
    assert outcome.status is Status.PASS


def test_password_lifetime_of_182_days_fails() -> None:
    apps = app_restrictions(
        password_addition=restriction("passwordAddition", state="disabled"),
        password_lifetime=restriction("passwordLifetime", max_lifetime="P182D"),
    )
    outcome = run("MS.AAD.5.6", snapshot(tenant(app_policy(apps=apps))))
    assert outcome.status is Status.FAIL
    assert outcome.details == (
        "Application secret lifetime is not limited to 180 days: passwordLifetime (Applications): "
        "maximum lifetime is 182 days, more than 181."
    )


def test_only_the_kinds_of_secret_that_can_be_added_need_a_lifetime() -> None:
    # Symmetric keys are blocked, so their lifetime restriction may be off.
    apps = app_restrictions(
        password_addition=restriction("passwordAddition", state="disabled"),
        symmetric_lifetime=restriction("symmetricKeyLifetime", state="disabled"),
    )
    assert run("MS.AAD.5.6", snapshot(tenant(app_policy(apps=apps)))).status is Status.PASS


# --- MS.AAD.5.7 ---------------------------------------------------------------------------------


def test_certificate_lifetime_of_366_days_passes() -> None:
    assert run("MS.AAD.5.7", snapshot(compliant())).status is Status.PASS


def test_certificate_lifetime_of_367_days_fails() -> None:
    apps = app_restrictions(certificate=restriction("asymmetricKeyLifetime", max_lifetime="P367D"))
    outcome = run("MS.AAD.5.7", snapshot(tenant(app_policy(apps=apps))))
    assert outcome.status is Status.FAIL
    assert "asymmetricKeyLifetime (Applications): maximum lifetime is 367 days, more than 366" in (
        outcome.details
    )


def test_certificate_lifetime_off_for_service_principals_fails() -> None:
    sps = app_restrictions(
        certificate=restriction("asymmetricKeyLifetime", state="disabled", max_lifetime="P90D")
    )
    outcome = run("MS.AAD.5.7", snapshot(tenant(app_policy(service_principals=sps))))
    assert outcome.status is Status.FAIL
    assert "asymmetricKeyLifetime (ServicePrincipals): restriction is not enabled" in (
        outcome.details
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P181D", timedelta(days=181)),
        ("P1Y", timedelta(days=365)),
        ("P2W", timedelta(days=14)),
        ("PT12H", timedelta(hours=12)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("P", None),
        ("181 days", None),
        (None, None),
    ],
)
def test_iso_durations(text: str | None, expected: timedelta | None) -> None:
    assert parse_duration(text) == expected
