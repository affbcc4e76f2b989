"""The hygiene and estate checks over the emulator's synthetic book (seed 1, tenants 0-7), seen
as the real collection would store them: reads a tenant's licences or the app's permissions
refuse are recorded as such, users come without signInActivity when it is refused, and $select
is applied. The spread of outcomes must match each tenant's profile."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import pytest

from remit.domain import EndpointOutcome, EndpointResult
from remit.emulator.endpoints import classify, has_license
from remit.emulator.model import TenantSpec
from remit.emulator.synthetic import generate_tenant
from remit.graph.errors import ENTRA_P1, ENTRA_P2, INTUNE
from remit.inventory.plan import Resource as PlanResource
from remit.inventory.plan import phase_one, phase_two
from remit.posture.checks import estate, identity_hygiene, privileged_hygiene
from remit.posture.data import TenantData
from remit.posture.model import Outcome, Status
from tests.posture.hygiene_fixtures import NOW, licence_refused, permission_refused, run

LICENCE_NAMES = {"P1": ENTRA_P1, "P2": ENTRA_P2, "INTUNE": INTUNE}
CHECK_IDS = sorted({*identity_hygiene.CHECKS, *privileged_hygiene.CHECKS, *estate.CHECKS})
NO_CA, BP_GAPS, SECDEFAULTS, WELL_RUN, NO_CA_2, HYBRID, SECDEFAULTS_2, AGENCY = range(8)


def _project(body: Any, params: dict[str, str]) -> Any:
    """Apply ``$select`` as Graph does (instance annotations such as @odata.type stay)."""
    select = params.get("$select")
    if not select or not isinstance(body, dict) or not isinstance(body.get("value"), list):
        return body
    wanted = set(select.split(","))
    return {
        "value": [
            {k: v for k, v in item.items() if k in wanted or "@" in k} for item in body["value"]
        ]
    }


def _read(
    spec: TenantSpec,
    resource: PlanResource,
    payloads: dict[str, Any],
    results: list[EndpointResult],
) -> None:
    """One read of the collection plan, answered the way the emulator (and Graph) would."""
    endpoint = classify(resource.key)
    granted = spec.granted_permissions
    params = dict(resource.params)
    if not endpoint.allows(granted):
        results.append(permission_refused(resource.key, endpoint.permissions[0]))
        return
    if "signInActivity" in params.get("$select", "") and resource.fallback_params is not None:
        if "AuditLog.Read.All" not in granted:
            results.append(permission_refused(resource.fallback_key))
            params = dict(resource.fallback_params)
        elif not has_license(spec.licenses, "P1"):
            results.append(licence_refused(resource.fallback_key))
            params = dict(resource.fallback_params)
    if not has_license(spec.licenses, endpoint.license):
        results.append(licence_refused(resource.key, LICENCE_NAMES[str(endpoint.license)]))
        return
    if resource.key not in spec.data:
        results.append(EndpointResult(resource.key, EndpointOutcome.ERROR, detail="not found"))
        return
    payloads[resource.key] = _project(spec.data[resource.key], params)
    results.append(EndpointResult(resource.key, EndpointOutcome.OK))


def collected(spec: TenantSpec, now: datetime = NOW) -> TenantData:
    """The snapshot ``collect_tenant`` would store for ``spec``."""
    payloads: dict[str, Any] = {}
    results: list[EndpointResult] = []
    for resource in phase_one(now):
        _read(spec, resource, payloads, results)
    for resource in phase_two(payloads):
        _read(spec, resource, payloads, results)
    return TenantData(payloads, results, now=now)


@cache
def book(index: int) -> dict[str, Outcome]:
    data = collected(generate_tenant(index, 1))
    return {check_id: run(check_id, data) for check_id in CHECK_IDS}


def status(index: int, check_id: str) -> Status:
    return book(index)[check_id].status


def test_the_simulated_collection_refuses_what_graph_would() -> None:
    small = collected(generate_tenant(NO_CA, 1))
    assert not small.has("identity/conditionalAccess/policies")
    assert "no Microsoft Entra ID P1 licence" in small.cause("identity/conditionalAccess/policies")
    assert small.missing_part("users.signInActivity") is not None
    assert all("signInActivity" not in u for u in small.collection("users"))
    well_run = collected(generate_tenant(WELL_RUN, 1))
    assert well_run.missing_part("users.signInActivity") is None
    assert well_run.has("roleManagement/directory/roleEligibilitySchedules")


@pytest.mark.parametrize("index", range(8))
def test_errors_only_ever_name_a_licence_or_a_permission(index: int) -> None:
    for check_id, outcome in book(index).items():
        if outcome.status is Status.ERROR:
            assert "licence" in outcome.details or "permission" in outcome.details, check_id


@pytest.mark.parametrize("index", [NO_CA, NO_CA_2])
def test_small_offices_without_ca_fail_the_basics(index: int) -> None:
    outcomes = book(index)
    assert outcomes["remit.baseline.security-defaults"].status is Status.FAIL
    assert outcomes["remit.mfa.registration-admins"].status is Status.FAIL
    assert outcomes["remit.admins.daily-driver"].status is Status.FAIL
    # No Entra ID P1: no CA to recognise emergency accounts by, no registration report, no
    # sign-in activity, no Intune. Each says why instead of guessing.
    assert outcomes["remit.admins.emergency-access"].status is Status.MANUAL
    for check_id in ("remit.mfa.registration-users", "remit.admins.dormant"):
        assert outcomes[check_id].status is Status.ERROR
        assert "Microsoft Entra ID P1" in outcomes[check_id].details
    assert "Microsoft Intune" in outcomes["remit.devices.stale"].details


@pytest.mark.parametrize("index", [SECDEFAULTS, SECDEFAULTS_2])
def test_small_offices_with_security_defaults_pass_them(index: int) -> None:
    assert status(index, "remit.baseline.security-defaults") is Status.PASS
    assert status(index, "remit.mfa.registration-admins") is Status.PASS


def test_the_tenant_without_auditlog_permission_says_so() -> None:
    dormant = book(SECDEFAULTS_2)["remit.admins.dormant"]
    assert dormant.status is Status.ERROR
    assert "AuditLog.Read.All" in dormant.details


def test_business_premium_gaps() -> None:
    outcomes = book(BP_GAPS)
    admins = outcomes["remit.mfa.registration-admins"]
    assert admins.status is Status.FAIL
    assert len(admins.resources) == 2  # the CEO (a Global Administrator) and the billing admin
    assert "Global Administrator" in admins.details
    assert "Billing Administrator" in admins.details
    apps = outcomes["remit.apps.credential-expiry"]
    assert apps.status is Status.FAIL  # the expired SFTP connector
    assert "Xero Sync: secret expires" in apps.details
    assert "in 10 days" in apps.details
    assert outcomes["remit.devices.non-compliant"].status is Status.FAIL
    assert outcomes["remit.devices.unencrypted"].status is Status.FAIL
    assert outcomes["remit.mfa.registration-users"].status is Status.FAIL


def test_the_well_run_tenant_passes_emergency_access_and_mfa() -> None:
    outcomes = book(WELL_RUN)
    emergency = outcomes["remit.admins.emergency-access"]
    assert emergency.status is Status.PASS
    assert len(emergency.resources) == 2
    for check_id in (
        "remit.mfa.registration-admins",
        "remit.admins.dormant",
        "remit.admins.daily-driver",
        "remit.admins.synced",
        "remit.admins.guests",
        "remit.baseline.security-defaults",
        "remit.devices.unencrypted",
        "remit.devices.non-compliant",
        "remit.score.secure-score",
        # CA requires MFA for every user, so everyone who signed in had to register.
        "remit.mfa.registration-users",
    ):
        assert outcomes[check_id].status is Status.PASS, (check_id, outcomes[check_id].details)
    # The emergency accounts sign in rarely by design and are left out of the dormant check.
    assert "Left out as emergency-access accounts" in outcomes["remit.admins.dormant"].details
    # A handful of retired devices still wait to be removed from Intune: worth a look only.
    stale = outcomes["remit.devices.stale"]
    assert stale.status is Status.WARN
    assert "(0%)" in stale.details


def test_the_hybrid_tenant_has_synced_admins_and_partial_ca() -> None:
    outcomes = book(HYBRID)
    synced = outcomes["remit.admins.synced"]
    assert synced.status is Status.FAIL
    assert "Global Administrator" in synced.details
    assert outcomes["remit.baseline.security-defaults"].status is Status.WARN
    assert outcomes["remit.admins.emergency-access"].status is Status.FAIL
    # The Entra Connect account holds a directory role but is no admin.
    assert outcomes["remit.mfa.registration-admins"].status is Status.PASS


def test_the_agency_has_one_guest_admin() -> None:
    guests = book(AGENCY)["remit.admins.guests"]
    assert guests.status is Status.FAIL
    assert len(guests.resources) == 1
    assert "(Application Administrator)" in guests.details


def test_the_book_has_a_realistic_spread() -> None:
    fails = {i: sum(o.status is Status.FAIL for o in book(i).values()) for i in range(8)}
    passes = {i: sum(o.status is Status.PASS for o in book(i).values()) for i in range(8)}
    assert passes[WELL_RUN] >= 10
    assert fails[WELL_RUN] == 0
    assert min(fails[NO_CA], fails[NO_CA_2], fails[BP_GAPS]) >= 4
    assert fails[WELL_RUN] < fails[SECDEFAULTS] < fails[NO_CA]
