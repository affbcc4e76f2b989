"""The collection use case end to end: emulator over HTTPS → Graph client → snapshot in SQLite.

Tests that measure what a real collection costs run on real time (the client paces conditional
access to one request a second, so each costs about 1.3 s). Tests about outcomes and faults run
the client on virtual time against an emulator whose own (real-time) throttling model is off:
the same requests and answers, without the waiting.
"""

from __future__ import annotations

from typing import Any

from remit.config import CollectSettings
from remit.domain import CollectionStatus, EndpointOutcome
from remit.emulator.fixture import ALL_PERMISSIONS
from remit.inventory.service import CollectionReport, TenantRef, collect_tenants
from remit.store.models import Blob, Snapshot, SnapshotEntry
from tests.inventory.helpers import (
    Setup,
    VirtualTime,
    control,
    load_snapshot,
    small_tenant,
    store_tenant,
    virtual_time_clients,
    well_run_tenant,
)

# Every read of phase one, and named locations (read in phase two, after the CA policies).
PHASE_ONE_KEYS = {
    "organization",
    "domains",
    "subscribedSkus",
    "users",
    "groups",
    "directoryRoles",
    "roleManagement/directory/roleDefinitions",
    "roleManagement/directory/roleAssignments",
    "roleManagement/directory/roleEligibilitySchedules",
    "roleManagement/directory/roleAssignmentSchedules",
    "policies/roleManagementPolicyAssignments",
    "identity/conditionalAccess/policies",
    "identity/conditionalAccess/namedLocations",
    "policies/authenticationMethodsPolicy",
    "reports/authenticationMethods/userRegistrationDetails",
    "policies/authorizationPolicy",
    "policies/identitySecurityDefaultsEnforcementPolicy",
    "policies/adminConsentRequestPolicy",
    "policies/defaultAppManagementPolicy",
    "security/secureScores",
    "security/secureScoreControlProfiles",
    "deviceManagement/managedDevices",
    "applications",
    "servicePrincipals",
    "auditLogs/directoryAudits",
}


def _values(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return list(data.get(key, {}).get("value", []))


def expected_phase_two(data: dict[str, Any]) -> set[str]:
    """What phase two must read, worked out from the tenant's data (not from the plan)."""
    groups = {g["id"] for g in _values(data, "groups")}
    wanted = {g["id"] for g in _values(data, "groups") if g.get("isAssignableToRole")}
    for policy in _values(data, "identity/conditionalAccess/policies"):
        users = policy.get("conditions", {}).get("users", {})
        wanted |= set(users.get("includeGroups", [])) | set(users.get("excludeGroups", []))
    user_ids = {u["id"] for u in _values(data, "users")}
    principals = {
        a["principalId"]
        for key in (
            "roleManagement/directory/roleAssignments",
            "roleManagement/directory/roleEligibilitySchedules",
        )
        for a in _values(data, key)
    }
    return (
        {f"groups/{g}/members" for g in wanted & groups}
        | {f"directoryRoles/{r['id']}/members" for r in _values(data, "directoryRoles")}
        | {f"users/{u}/authentication/methods" for u in principals & user_ids}
    )


async def test_a_well_run_tenant_gives_a_complete_snapshot_equal_to_what_graph_serves(
    setup: Setup,
) -> None:
    spec = well_run_tenant()
    server, workspace = setup([spec])
    tenant = store_tenant(workspace, spec)

    [report] = await collect_tenants(workspace, [tenant])

    assert report.status is CollectionStatus.COMPLETE, report.missing
    assert report.error == ""
    assert report.missing == ()
    stored = load_snapshot(workspace, tenant, report.snapshot_id or 0)
    assert stored.info.status is CollectionStatus.COMPLETE
    phase_two = expected_phase_two(spec.data)
    assert any(k.startswith("groups/") for k in phase_two)  # the tenant really has all three
    assert any(k.startswith("directoryRoles/") for k in phase_two)
    assert any(k.startswith("users/") for k in phase_two)
    assert set(stored.payloads) == PHASE_ONE_KEYS | phase_two

    served_users = control(server, "GET", f"tenants/{spec.tenant_id}/data/users")["value"]
    users = stored.payloads["users"]["value"]
    assert len(users) == len(served_users) == spec.user_count
    assert {u["id"] for u in users} == {u["id"] for u in served_users}
    by_id = {u["id"]: u for u in served_users}
    for user in users:  # every selected property is exactly what Graph holds
        assert user == {k: by_id[user["id"]][k] for k in user}, user["id"]
    assert any("signInActivity" in u for u in users)
    served_policies = control(
        server, "GET", f"tenants/{spec.tenant_id}/data/identity/conditionalAccess/policies"
    )["value"]
    policies = {p["id"]: p for p in stored.payloads["identity/conditionalAccess/policies"]["value"]}
    assert served_policies
    assert policies[served_policies[0]["id"]] == served_policies[0]
    assert len(policies) == len(served_policies)

    # Request accounting is stored with the snapshot and agrees with the emulator's own count.
    assert stored.info.http_requests == report.http_requests > 0
    assert stored.stats["users"].requests >= 1
    assert {"groups/{id}/members", "directoryRoles/{id}/members"} <= set(stored.stats)
    served = control(server, "GET", "stats")["tenants"][spec.tenant_id]
    assert stored.stats["$batch"].requests == served["$batch"]["requests"] >= 2
    assert stored.stats["$batch"].bytes_received > 0


async def test_a_ten_user_tenant_costs_a_handful_of_http_requests(setup: Setup) -> None:
    spec = small_tenant("contoso", users=8, guests=2)
    server, workspace = setup([spec])
    tenant = store_tenant(workspace, spec)

    [report] = await collect_tenants(workspace, [tenant])

    print(f"\n10-user tenant: {report.http_requests} HTTP requests for a complete snapshot")
    assert report.status is CollectionStatus.COMPLETE, report.missing
    assert report.http_requests <= 6  # measured: 4 ($batch calls; the token is not Graph)
    served = control(server, "GET", "stats")["tenants"][spec.tenant_id]
    assert served["$batch"]["requests"] == report.http_requests  # everything went in $batch
    stored = load_snapshot(workspace, tenant, report.snapshot_id or 0)
    assert len(stored.payloads["users"]["value"]) == 10


async def test_an_unlicensed_tenant_is_partial_and_users_come_without_sign_in_activity(
    setup: Setup,
) -> None:
    spec = well_run_tenant()
    server, workspace = setup([spec], throttling=False)
    control(server, "POST", f"tenants/{spec.tenant_id}/licenses", {"licenses": []})
    tenant = store_tenant(workspace, spec)
    times: list[VirtualTime] = []

    [report] = await collect_tenants(
        workspace, [tenant], client_factory=virtual_time_clients(workspace.settings.graph, times)
    )

    assert report.status is CollectionStatus.PARTIAL
    by_key = {r.key: r for r in report.missing}
    assert all(r.outcome is EndpointOutcome.LICENSE_REQUIRED for r in report.missing)
    sign_in = by_key["users.signInActivity"]
    assert sign_in.license == "Microsoft Entra ID P1"
    assert "P1" in sign_in.detail
    assert by_key["identity/conditionalAccess/policies"].license == "Microsoft Entra ID P1"
    assert by_key["roleManagement/directory/roleEligibilitySchedules"].license == (
        "Microsoft Entra ID P2"
    )
    assert by_key["deviceManagement/managedDevices"].license == "Microsoft Intune"
    stored = load_snapshot(workspace, tenant, report.snapshot_id or 0)
    assert stored.info.status is CollectionStatus.PARTIAL
    users = stored.payloads["users"]["value"]  # the fallback read kept every user
    assert len(users) == spec.user_count
    assert not any("signInActivity" in u for u in users)
    assert "users" not in by_key
    assert "deviceManagement/managedDevices" not in stored.payloads
    assert {r.key for r in stored.info.endpoints if r.outcome is not EndpointOutcome.OK} == set(
        by_key
    )


async def test_a_missing_audit_log_permission_is_named_and_the_rest_is_kept(setup: Setup) -> None:
    spec = well_run_tenant()
    server, workspace = setup([spec], throttling=False)
    granted = sorted(ALL_PERMISSIONS - {"AuditLog.Read.All"})
    control(server, "POST", f"tenants/{spec.tenant_id}/permissions", {"granted": granted})
    tenant = store_tenant(workspace, spec)

    [report] = await collect_tenants(
        workspace, [tenant], client_factory=virtual_time_clients(workspace.settings.graph, [])
    )

    assert report.status is CollectionStatus.PARTIAL
    assert report.missing, "a missing permission must be reported"
    assert all(r.outcome is EndpointOutcome.MISSING_PERMISSION for r in report.missing)
    assert {r.permission for r in report.missing} == {"AuditLog.Read.All"}
    assert {r.key for r in report.missing} == {
        "users.signInActivity",
        "auditLogs/directoryAudits",
        "reports/authenticationMethods/userRegistrationDetails",
    }
    assert all("AuditLog.Read.All" in r.detail for r in report.missing)
    stored = load_snapshot(workspace, tenant, report.snapshot_id or 0)
    assert len(stored.payloads["users"]["value"]) == spec.user_count
    assert "auditLogs/directoryAudits" not in stored.payloads


async def test_a_wrong_secret_fails_with_the_reason_and_stores_no_payloads(setup: Setup) -> None:
    spec = small_tenant("contoso")
    _, workspace = setup([spec])
    tenant = store_tenant(workspace, spec, secret="Emu8Q~not-the-secret-at-all")

    [report] = await collect_tenants(workspace, [tenant])

    assert report.status is CollectionStatus.FAILED
    assert "client secret" in report.error
    assert spec.tenant_id in report.error
    assert report.http_requests == 0  # no token, no Graph request
    stored = load_snapshot(workspace, tenant, report.snapshot_id or 0)
    assert stored.info.status is CollectionStatus.FAILED
    assert stored.info.error == report.error
    assert stored.payloads == {}
    with workspace.session(write=False) as session:
        assert session.query(SnapshotEntry).count() == 0
        assert session.query(Blob).count() == 0


async def test_failed_and_partial_collections_never_replace_the_last_complete_one(
    setup: Setup,
) -> None:
    good, other = small_tenant("contoso"), small_tenant("fabrikam")
    server, workspace = setup([good, other], throttling=False)
    tenant = store_tenant(workspace, good)
    unlucky = store_tenant(workspace, other, secret="Emu8Q~wrong")
    clients = virtual_time_clients(workspace.settings.graph, [])

    async def collect(ref: TenantRef) -> CollectionReport:
        [report] = await collect_tenants(workspace, [ref], client_factory=clients)
        return report

    def set_secret(ref: TenantRef, secret: str) -> None:
        with workspace.session() as session:
            workspace.tenants(session).update_credentials(ref.tenant_id, secret=secret)

    complete = await collect(tenant)
    set_secret(tenant, "Emu8Q~rotated-away")
    failed = await collect(tenant)
    set_secret(tenant, good.client_secret)
    granted = sorted(ALL_PERMISSIONS - {"AuditLog.Read.All"})
    control(server, "POST", f"tenants/{good.tenant_id}/permissions", {"granted": granted})
    partial = await collect(tenant)
    first_failure = await collect(unlucky)
    set_secret(unlucky, other.client_secret)
    control(server, "POST", f"tenants/{other.tenant_id}/licenses", {"licenses": []})
    only_partial = await collect(unlucky)

    statuses = [r.status for r in (complete, failed, partial, first_failure, only_partial)]
    assert [s.value for s in statuses] == ["complete", "failed", "partial", "failed", "partial"]
    with workspace.session(write=False) as session:
        repo = workspace.snapshots(session, workspace.tenants(session).get(tenant.tenant_id))
        latest, usable = repo.latest(), repo.latest_usable()
        assert latest is not None
        assert latest.id == complete.snapshot_id
        assert usable is not None
        assert usable.id == complete.snapshot_id
        assert [s.id for s in repo.list()] == [
            partial.snapshot_id,
            failed.snapshot_id,
            complete.snapshot_id,
        ]
        repo = workspace.snapshots(session, workspace.tenants(session).get(unlucky.tenant_id))
        assert repo.latest() is None  # never complete
        usable = repo.latest_usable()
        assert usable is not None
        assert usable.id == only_partial.snapshot_id
        assert session.query(Snapshot).count() == 5


THROTTLE_STORM = [{"kind": "throttle", "rate": 0.5, "retry_after": 0.01}]
SERVER_ERRORS = [
    {"kind": "error", "rate": 0.2, "status": 503},
    {"kind": "error", "rate": 0.2, "status": 502},
]
BROKEN_BODIES = [
    {"kind": "truncate", "path": "$batch", "count": 2},
    {"kind": "drop", "path": "$batch", "count": 1},
]


async def _collect_under(setup: Setup, rules: list[dict[str, Any]]) -> tuple[Any, ...]:
    spec = well_run_tenant()
    # 30 retries: at a 50% 429 rate a read fails 31 times in a row once in two billion.
    server, workspace = setup([spec], graph={"max_retries": 30}, throttling=False)
    scoped = [rule | {"tenant": spec.tenant_id} for rule in rules]
    ids = control(server, "POST", "faults", {"rules": scoped})["ids"]
    tenant = store_tenant(workspace, spec)
    times: list[VirtualTime] = []

    [report] = await collect_tenants(
        workspace, [tenant], client_factory=virtual_time_clients(workspace.settings.graph, times)
    )

    # A rule with a count leaves the list once it has fired that many times.
    left = {rule["id"]: rule["fired"] for rule in control(server, "GET", "faults")["rules"]}
    fired = sum(left[i] if i in left else rule["count"] for i, rule in zip(ids, rules, strict=True))
    stored = load_snapshot(workspace, tenant, report.snapshot_id or 0)
    assert report.status is CollectionStatus.COMPLETE, report.missing
    assert len(stored.payloads["users"]["value"]) == spec.user_count
    assert fired > 0
    return report, stored, fired, times[0]


async def test_a_429_storm_still_gives_a_complete_snapshot_and_every_retry_is_counted(
    setup: Setup,
) -> None:
    report, stored, fired, time = await _collect_under(setup, THROTTLE_STORM)

    assert report.throttled == fired  # every 429 the emulator sent, top level and in $batch
    assert report.retries == fired
    assert sum(s.throttled for s in stored.stats.values()) == fired
    assert sum(s.retries for s in stored.stats.values()) == fired
    assert time.slept > 0  # the client waited (on virtual time) instead of hammering Graph


async def test_server_errors_are_retried_and_counted(setup: Setup) -> None:
    report, stored, fired, _ = await _collect_under(setup, SERVER_ERRORS)

    assert report.throttled == 0
    assert report.retries == fired
    assert sum(s.errors for s in stored.stats.values()) == fired


async def test_truncated_and_dropped_responses_are_retried_and_counted(setup: Setup) -> None:
    report, stored, fired, _ = await _collect_under(setup, BROKEN_BODIES)

    assert fired == 3
    assert stored.stats["$batch"].errors == 3
    assert stored.stats["$batch"].retries == 3
    assert report.retries == 3


class Recorder:
    """Progress events, to see how many tenants were being collected at the same time."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def started(self, tenant: TenantRef) -> None:
        self.events.append(("started", tenant.name))

    def finished(self, report: CollectionReport) -> None:
        self.events.append(("finished", report.tenant.name))

    def most_in_flight(self) -> int:
        running = most = 0
        for event, _ in self.events:
            running += 1 if event == "started" else -1
            most = max(most, running)
        return most


async def test_all_tenants_are_collected_concurrently_up_to_the_setting(setup: Setup) -> None:
    specs = [small_tenant(name) for name in ("contoso", "fabrikam", "northwind")]
    _, workspace = setup(specs, throttling=False)
    refs = [store_tenant(workspace, spec) for spec in specs]
    clients = virtual_time_clients(workspace.settings.graph, [])

    together = Recorder()
    reports = await collect_tenants(workspace, refs, progress=together, client_factory=clients)
    workspace.update_settings(collect=CollectSettings(tenant_concurrency=1))
    one_by_one = Recorder()
    await collect_tenants(workspace, refs, progress=one_by_one, client_factory=clients)

    assert [r.status for r in reports] == [CollectionStatus.COMPLETE] * 3
    assert len({r.snapshot_id for r in reports}) == 3
    assert together.most_in_flight() == 3
    assert one_by_one.most_in_flight() == 1
    assert len(one_by_one.events) == 6
