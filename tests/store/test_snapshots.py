"""Snapshots: round trip, dedup, verified reads, latest semantics, tenant isolation, prune."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import zstandard
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from remit.domain import CollectionStatus, EndpointOutcome, EndpointResult, EndpointStats
from remit.errors import DatabaseError, InvalidInput, NotFound
from remit.store import SecretBox, SnapshotRepository, TenantInfo, TenantRepository
from remit.store.models import Blob, Snapshot, SnapshotEntry
from remit.store.snapshots import canonical_json, content_hash

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
COMPLETE, PARTIAL, FAILED = (
    CollectionStatus.COMPLETE,
    CollectionStatus.PARTIAL,
    CollectionStatus.FAILED,
)

PAYLOADS: dict[str, Any] = {
    "users": {"value": [{"id": "u1", "displayName": "Adele Vance ✓", "accountEnabled": True}]},
    "groups": {"value": []},
    "policies/authorizationPolicy": {"id": "authorizationPolicy", "allowInvitesFrom": "everyone"},
    "organization": {"value": [{"id": "o1", "verifiedDomains": [{"name": "contoso.com"}]}]},
}


def save(
    sessions: sessionmaker[Session],
    tenant: TenantInfo,
    payloads: dict[str, Any],
    *,
    status: CollectionStatus = COMPLETE,
    at: datetime = T0,
    **kwargs: Any,
) -> Any:
    with sessions.begin() as session:
        return SnapshotRepository(session, tenant).save(
            payloads, status=status, started_at=at - timedelta(minutes=1), finished_at=at, **kwargs
        )


def count(sessions: sessionmaker[Session], model: Any, tenant: TenantInfo | None = None) -> int:
    with sessions.begin() as session:
        query = select(func.count()).select_from(model)
        if tenant is not None:
            query = query.where(model.tenant_pk == tenant.pk)
        return int(session.scalar(query) or 0)


def test_save_and_load_round_trip(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    results = [
        EndpointResult(key="users", outcome=EndpointOutcome.OK, items=1),
        EndpointResult(
            key="identity/conditionalAccess/policies",
            outcome=EndpointOutcome.LICENSE_REQUIRED,
            detail="needs Entra ID P1",
            license="AAD_PREMIUM",
        ),
    ]
    stats = {"/users": EndpointStats(requests=3, retries=1, throttled=1, bytes_received=1234)}
    info = save(
        sessions,
        contoso,
        PAYLOADS,
        status=PARTIAL,
        endpoint_results=results,
        request_stats=stats,
        http_requests=7,
    )
    assert info.tenant_id == contoso.tenant_id
    assert info.status is PARTIAL
    assert info.finished_at == T0
    assert info.endpoints == tuple(results)
    assert info.http_requests == 7
    assert info.size_bytes == sum(len(canonical_json(v)) for v in PAYLOADS.values())
    assert info.stored_bytes > 0
    assert len(info.content_hash) == 64
    with sessions.begin() as session:
        repo = SnapshotRepository(session, contoso)
        assert repo.load(info.id) == PAYLOADS
        assert repo.load(info.id, keys=["users", "nope"]) == {"users": PAYLOADS["users"]}
        assert repo.get(info.id) == info
        assert repo.request_stats(info.id) == stats


def test_failed_snapshot_keeps_its_error(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    info = save(sessions, contoso, {}, status=FAILED, error="AADSTS7000215: invalid client secret")
    assert info.error == "AADSTS7000215: invalid client secret"
    assert (info.size_bytes, info.stored_bytes) == (0, 0)
    with sessions.begin() as session:
        assert SnapshotRepository(session, contoso).load(info.id) == {}


def test_identical_snapshot_adds_no_stored_bytes(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    first = save(sessions, contoso, PAYLOADS)
    blobs = count(sessions, Blob)
    assert blobs == len(PAYLOADS)
    # Same content, keys in another order: same canonical bytes, same blobs, same manifest.
    second = save(sessions, contoso, dict(reversed(PAYLOADS.items())), at=T0 + timedelta(days=1))
    assert second.stored_bytes == 0
    assert second.size_bytes == first.size_bytes
    assert second.content_hash == first.content_hash
    assert count(sessions, Blob) == blobs
    # One changed body costs one new blob.
    changed = PAYLOADS | {"groups": {"value": [{"id": "g1"}]}}
    third = save(sessions, contoso, changed, at=T0 + timedelta(days=2))
    assert third.stored_bytes > 0
    assert third.content_hash != first.content_hash
    assert count(sessions, Blob) == blobs + 1


def test_equal_bodies_under_two_keys_share_one_blob(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    info = save(sessions, contoso, {"groups": {"value": []}, "devices": {"value": []}})
    assert count(sessions, Blob) == 1
    assert count(sessions, SnapshotEntry) == 2
    with sessions.begin() as session:
        assert SnapshotRepository(session, contoso).load(info.id) == {
            "groups": {"value": []},
            "devices": {"value": []},
        }


def test_blob_inserted_concurrently_is_not_an_error(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    """Another collection may store the same blob between our check and our insert."""
    contoso, _ = two_tenants
    save(sessions, contoso, PAYLOADS)

    class Racing(SnapshotRepository):
        def _present(self, by_hash: Any) -> set[str]:
            return set()  # as if the other collection had not committed yet when we looked

    with sessions.begin() as session:
        info = Racing(session, contoso).save(
            PAYLOADS, status=COMPLETE, started_at=T0, finished_at=T0
        )
    assert count(sessions, Blob) == len(PAYLOADS)
    with sessions.begin() as session:
        assert SnapshotRepository(session, contoso).load(info.id) == PAYLOADS


def _corrupt_blob(sessions: sessionmaker[Session], key: str, data: bytes) -> None:
    with sessions.begin() as session:
        digest = session.scalars(
            select(SnapshotEntry.blob_hash).where(SnapshotEntry.key == key)
        ).first()
        session.execute(update(Blob).where(Blob.hash == digest).values(data=data))


def test_blob_altered_in_the_database_is_detected(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    info = save(sessions, contoso, PAYLOADS)
    forged = canonical_json({"value": [{"id": "u1", "displayName": "Mallory"}]})
    forged = forged.ljust(len(canonical_json(PAYLOADS["users"])))  # same size, other content
    _corrupt_blob(sessions, "users", zstandard.ZstdCompressor().compress(forged))
    with sessions.begin() as session, pytest.raises(DatabaseError) as caught:
        SnapshotRepository(session, contoso).load(info.id)
    assert str(caught.value).startswith(
        f"snapshot {info.id} of tenant 'contoso' is damaged: the stored body of 'users' "
        "its content does not match its hash"
    )


def test_blob_that_does_not_decompress_is_detected(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    info = save(sessions, contoso, PAYLOADS)
    _corrupt_blob(sessions, "groups", b"\x00garbage")
    with sessions.begin() as session, pytest.raises(DatabaseError) as caught:
        SnapshotRepository(session, contoso).load(info.id)
    assert "the stored body of 'groups' it does not decompress" in str(caught.value)


def test_missing_entry_is_detected_by_the_manifest(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    info = save(sessions, contoso, PAYLOADS)
    with sessions.begin() as session:
        session.execute(delete(SnapshotEntry).where(SnapshotEntry.key == "groups"))
    with (
        sessions.begin() as session,
        pytest.raises(DatabaseError, match="do not match its manifest"),
    ):
        SnapshotRepository(session, contoso).load(info.id)


def test_latest_and_latest_usable(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    with sessions.begin() as session:
        repo = SnapshotRepository(session, contoso)
        assert repo.latest() is None
        assert repo.latest_usable() is None

    partial_1 = save(sessions, contoso, PAYLOADS, status=PARTIAL, at=T0)
    failed_2 = save(sessions, contoso, {}, status=FAILED, at=T0 + timedelta(hours=1))
    with sessions.begin() as session:
        repo = SnapshotRepository(session, contoso)
        assert repo.latest() is None  # COMPLETE only, by default
        assert repo.latest_usable() == partial_1
        assert repo.latest([FAILED]) == failed_2

    complete_3 = save(sessions, contoso, PAYLOADS, status=COMPLETE, at=T0 + timedelta(hours=2))
    partial_4 = save(sessions, contoso, PAYLOADS, status=PARTIAL, at=T0 + timedelta(hours=3))
    failed_5 = save(sessions, contoso, {}, status=FAILED, at=T0 + timedelta(hours=4))
    with sessions.begin() as session:
        repo = SnapshotRepository(session, contoso)
        assert repo.latest() == complete_3
        # A newer PARTIAL does not win over an older COMPLETE; FAILED never is usable.
        assert repo.latest_usable() == complete_3
        assert repo.latest([PARTIAL, FAILED]) == failed_5
        assert repo.latest([PARTIAL]) == partial_4
        assert [s.id for s in repo.list()] == [
            failed_5.id,
            partial_4.id,
            complete_3.id,
            failed_2.id,
            partial_1.id,
        ]
        assert [s.id for s in repo.list(limit=2)] == [failed_5.id, partial_4.id]
        assert [s.id for s in repo.list(statuses=[PARTIAL])] == [partial_4.id, partial_1.id]


def test_tenant_isolation(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, fabrikam = two_tenants
    theirs = save(sessions, fabrikam, PAYLOADS)
    ours = save(sessions, contoso, PAYLOADS)
    # The same bodies are stored once per tenant: no row is shared.
    assert count(sessions, Blob, contoso) == count(sessions, Blob, fabrikam) == len(PAYLOADS)
    assert ours.stored_bytes == theirs.stored_bytes > 0
    with sessions.begin() as session:
        repo = SnapshotRepository(session, contoso)
        assert [s.id for s in repo.list()] == [ours.id]
        for attempt in (repo.get, repo.load, repo.request_stats):
            with pytest.raises(NotFound, match=f"no snapshot {theirs.id} of tenant 'contoso'"):
                attempt(theirs.id)
        assert repo.prune(keep=1).blobs_deleted == 0
    assert count(sessions, Blob, fabrikam) == len(PAYLOADS)


def test_entries_cannot_point_at_another_tenants_blob(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    """The schema itself keeps tenants apart, whatever code writes to it."""
    from sqlalchemy.exc import IntegrityError

    contoso, fabrikam = two_tenants
    save(sessions, fabrikam, {"users": {"value": []}})
    ours = save(sessions, contoso, {})
    digest = content_hash(canonical_json({"value": []}))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(
            SnapshotEntry(snapshot_id=ours.id, tenant_pk=contoso.pk, key="users", blob_hash=digest)
        )


def test_removing_a_tenant_removes_its_snapshots_and_blobs(
    sessions: sessionmaker[Session], box: SecretBox, two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, fabrikam = two_tenants
    for day in range(3):
        save(sessions, contoso, PAYLOADS | {"day": day}, at=T0 + timedelta(days=day))
    kept = save(sessions, fabrikam, PAYLOADS)
    with sessions.begin() as session:
        TenantRepository(session, box).remove("contoso")
    assert count(sessions, Snapshot) == 1
    assert count(sessions, SnapshotEntry) == len(PAYLOADS)
    assert count(sessions, Blob) == len(PAYLOADS)
    with sessions.begin() as session:
        assert SnapshotRepository(session, fabrikam).load(kept.id) == PAYLOADS


def test_prune_keeps_the_newest_and_drops_unreferenced_blobs(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    infos = [
        save(sessions, contoso, PAYLOADS | {"day": {"n": day}}, at=T0 + timedelta(days=day))
        for day in range(5)
    ]
    assert count(sessions, Blob) == len(PAYLOADS) + 5
    day_hashes = [content_hash(canonical_json({"n": day})) for day in range(3)]
    with sessions.begin() as session:
        day_blob_bytes = sum(
            len(data)
            for data in session.scalars(select(Blob.data).where(Blob.hash.in_(day_hashes)))
        )
        result = SnapshotRepository(session, contoso).prune(keep=2)
    assert (result.snapshots_deleted, result.blobs_deleted) == (3, 3)
    assert result.bytes_freed == day_blob_bytes
    assert count(sessions, Blob) == len(PAYLOADS) + 2
    with sessions.begin() as session:
        repo = SnapshotRepository(session, contoso)
        assert [s.id for s in repo.list()] == [infos[4].id, infos[3].id]
        assert repo.load(infos[3].id)["day"] == {"n": 3}
        with pytest.raises(NotFound):
            repo.get(infos[0].id)
        with pytest.raises(InvalidInput, match="keep must be at least 1"):
            repo.prune(keep=0)


def test_prune_never_drops_the_newest_usable_snapshot(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    good = save(sessions, contoso, PAYLOADS, at=T0)
    for hour in range(1, 4):
        save(sessions, contoso, {}, status=FAILED, at=T0 + timedelta(hours=hour))
    with sessions.begin() as session:
        repo = SnapshotRepository(session, contoso)
        assert repo.prune(keep=1).snapshots_deleted == 2
        assert repo.latest_usable() == good
        assert repo.load(good.id) == PAYLOADS


def test_save_is_all_or_nothing(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo]
) -> None:
    contoso, _ = two_tenants
    naive = datetime(2026, 1, 1)  # no time zone: refused
    with sessions.begin() as session:
        repo = SnapshotRepository(session, contoso)
        with pytest.raises(StatementError, match="naive datetime"):
            repo.save(PAYLOADS, status=COMPLETE, started_at=naive, finished_at=naive)
        # The blobs inserted before the failure went with it; the session is still usable.
        assert session.scalar(select(func.count()).select_from(Blob)) == 0
        assert repo.list() == []
    with pytest.raises(InvalidInput, match="must be a Graph path"):
        save(sessions, contoso, {"": {}})
