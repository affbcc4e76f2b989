"""App secrets and certificates: expiring within 30 days (WARN), expired beside a valid one
(WARN), every credential expired (FAIL), none at all (NOT_APPLICABLE)."""

from __future__ import annotations

from typing import Any

from remit.posture.model import Status
from tests.posture.hygiene_fixtures import (
    Json,
    application,
    certificate,
    names,
    only,
    permission_refused,
    run,
    secret,
    service_principal,
)

CHECK = "remit.apps.credential-expiry"


def _apps(*apps: Json, sps: tuple[Json, ...] = ()) -> dict[str, Any]:
    return {"applications": {"value": list(apps)}, "servicePrincipals": {"value": list(sps)}}


def test_pass_when_nothing_expires_soon() -> None:
    apps = _apps(
        application("Remit", secrets=(secret("remit", ends_in_days=200),)),
        application("HR provisioning", certificates=(certificate("hr", ends_in_days=300),)),
        application("No credentials"),
    )
    outcome = run(CHECK, only(apps))
    assert outcome.status is Status.PASS
    assert outcome.details == (
        "No credential of the 2 apps with secrets or certificates expires within 30 days."
    )


def test_warn_for_a_secret_expiring_within_30_days_even_the_remit_app() -> None:
    apps = _apps(application("Remit", secrets=(secret("remit", ends_in_days=10),)))
    outcome = run(CHECK, only(apps))
    assert outcome.status is Status.WARN
    assert outcome.details == (
        "1 credential expires within 30 days: Remit: secret expires 2026-11-11, in 10 days."
    )
    assert [(r.type, r.name) for r in outcome.resources] == [("application", "Remit")]


def test_warn_for_an_expired_leftover_beside_a_valid_credential() -> None:
    renewed = application(
        "Scan to Email",
        secrets=(secret("old", ends_in_days=-40), secret("new", ends_in_days=300)),
    )
    outcome = run(CHECK, only(_apps(renewed)))
    assert outcome.status is Status.WARN
    assert "Expired credentials to remove beside valid ones: Scan to Email: 1 expired" in (
        outcome.details
    )


def test_fail_when_every_credential_of_an_app_expired() -> None:
    apps = _apps(
        application("Legacy SFTP", secrets=(secret("sftp", ends_in_days=-100),)),
        application("Xero Sync", secrets=(secret("xero", ends_in_days=10),)),
    )
    outcome = run(CHECK, only(apps))
    assert outcome.status is Status.FAIL
    assert outcome.details.startswith(
        "1 app can no longer authenticate: Legacy SFTP: every credential expired "
        "(last: secret expired 2026-07-24, 100 days ago)."
    )
    assert "Xero Sync: secret expires 2026-11-11, in 10 days." in outcome.details
    assert names(outcome) == ["Legacy SFTP", "Xero Sync"]


def test_saml_signing_certificates_on_enterprise_apps_count_once() -> None:
    signing = [
        certificate("saml", ends_in_days=5, usage="Sign"),
        certificate("saml", ends_in_days=5, usage="Verify"),
    ]
    apps = _apps(sps=(service_principal("Salesforce SSO", certificates=signing),))
    outcome = run(CHECK, only(apps))
    assert outcome.status is Status.WARN
    assert outcome.details.startswith("1 credential expires within 30 days: Salesforce SSO:")
    assert [(r.type, r.name) for r in outcome.resources] == [("servicePrincipal", "Salesforce SSO")]


def test_not_applicable_without_any_credentials() -> None:
    outcome = run(CHECK, only(_apps(application("Public client"))))
    assert outcome.status is Status.NOT_APPLICABLE


def test_error_names_the_missing_permission() -> None:
    result = permission_refused("applications", "Application.Read.All")
    outcome = run(CHECK, only({}, result))
    assert outcome.status is Status.ERROR
    assert outcome.details == (
        "the app lacks the Graph permission Application.Read.All (reading applications)"
    )
