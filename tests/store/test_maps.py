"""Control-map layers and revisions in the database, on SQLite and PostgreSQL: numbering,
history, tenant scoping, tier assignments, and a tenant's layer deleted with the tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from remit.errors import AlreadyExists, InvalidInput, NotFound
from remit.store import SecretBox, TenantInfo, TenantRepository
from remit.store.maps import BaselineRepository, TenantMapRepository
from remit.store.models_maps import MapLayerRow, MapRevisionRow, TierAssignmentRow

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_baselines(engine: Engine) -> None:
    """The PostgreSQL database is shared by a test process; baselines belong to no tenant."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM map_tier_assignments"))
        conn.execute(text("DELETE FROM map_layers"))


def content(n: int) -> dict[str, object]:
    return {"controls": {}, "emergency_accounts": [f"bg{n}@contoso.com"]}


def add(repo: BaselineRepository, name: str, n: int, when: datetime = NOW) -> int:
    layer = repo.get(name)
    return repo.add_revision(
        layer, content(n), content_hash=f"{n:064x}", author="ana", reason=f"change {n}", now=when
    ).number


def test_baseline_revisions_are_numbered_and_kept(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        repo = BaselineRepository(session)
        repo.create("default", "default", now=NOW)
        repo.create("regulated", "tier", now=NOW)
        assert [add(repo, "default", n, NOW + timedelta(minutes=n)) for n in (1, 2, 3)] == [1, 2, 3]
        assert add(repo, "regulated", 9) == 1
    with sessions.begin() as session:
        repo = BaselineRepository(session)
        default = repo.get("default")
        assert default.head == 3
        assert default.kind == "default"
        assert [r.number for r in repo.history(default)] == [3, 2, 1]
        assert [r.number for r in repo.history(default, limit=1)] == [3]
        second = repo.revision(default, 2)
        assert second.content == content(2)
        assert (second.author, second.reason, second.content_hash) == (
            "ana",
            "change 2",
            f"{2:064x}",
        )
        assert second.created_at == NOW + timedelta(minutes=2)
        head = repo.head(default)
        assert head is not None
        assert head.number == 3
        assert [(b.name, b.kind) for b in repo.list()] == [
            ("default", "default"),
            ("regulated", "tier"),
        ]
        with pytest.raises(NotFound, match="baseline default has no revision 7"):
            repo.revision(default, 7)
        with pytest.raises(NotFound, match="no baseline 'standard'"):
            repo.get("standard")
        with pytest.raises(AlreadyExists, match="'regulated' already exists"):
            repo.create("regulated", "tier", now=NOW)


def test_a_revision_needs_an_author_and_a_reason(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        repo = BaselineRepository(session)
        layer = repo.create("default", "default", now=NOW)
        for author, reason in (("", "why"), ("ana", "  ")):
            with pytest.raises(InvalidInput, match="cannot be empty"):
                repo.add_revision(
                    layer, {}, content_hash="0" * 64, author=author, reason=reason, now=NOW
                )
        assert repo.get("default").head == 0


def test_a_stale_layer_record_still_appends_after_the_newest(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        repo = BaselineRepository(session)
        repo.create("default", "default", now=NOW)
        add(repo, "default", 1)
    with sessions() as first, sessions.begin() as second:
        stale = BaselineRepository(first).get("default")  # head 1, as first read it
        add(BaselineRepository(second), "default", 2)
        second.commit()
        first.rollback()  # a new transaction sees the committed revision 2
        number = (
            BaselineRepository(first)
            .add_revision(
                stale, content(3), content_hash="3" * 64, author="bo", reason="r", now=NOW
            )
            .number
        )
        first.commit()
    assert number == 3


def test_tenant_layers_are_scoped_and_deleted_with_the_tenant(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo], box: SecretBox
) -> None:
    contoso, fabrikam = two_tenants
    with sessions.begin() as session:
        mine = TenantMapRepository(session, contoso)
        assert mine.layer() is None
        assert mine.head() is None
        assert mine.history() == []
        for n in (1, 2):
            mine.add_revision(
                content(n), content_hash=f"{n:064x}", author="ana", reason="r", now=NOW
            )
        theirs = TenantMapRepository(session, fabrikam)
        theirs.add_revision(content(7), content_hash="7" * 64, author="bo", reason="r", now=NOW)
    with sessions.begin() as session:
        mine = TenantMapRepository(session, contoso)
        layer = mine.layer()
        assert layer is not None
        assert (layer.name, layer.kind, layer.head) == (
            "contoso",
            "tenant",
            2,
        )
        assert [r.content for r in mine.history()] == [content(2), content(1)]
        theirs = TenantMapRepository(session, fabrikam)
        assert [r.number for r in theirs.history()] == [1]
        with pytest.raises(NotFound, match="fabrikam's map has no revision 2"):
            theirs.revision(2)  # contoso has a revision 2; fabrikam cannot see it
        # Baselines never list a tenant's layer.
        assert BaselineRepository(session).list() == []
    with sessions.begin() as session:
        TenantRepository(session, box).remove(contoso)
    with sessions.begin() as session:
        owners = session.scalars(select(MapLayerRow.tenant_pk)).all()
        assert owners == [fabrikam.pk]
        revisions = session.scalars(select(MapRevisionRow.tenant_pk)).all()
        assert revisions == [fabrikam.pk]


def test_tier_assignments(
    sessions: sessionmaker[Session], two_tenants: tuple[TenantInfo, TenantInfo], box: SecretBox
) -> None:
    contoso, fabrikam = two_tenants
    with sessions.begin() as session:
        baselines = BaselineRepository(session)
        default = baselines.create("default", "default", now=NOW)
        regulated = baselines.create("regulated", "tier", now=NOW)
        standard = baselines.create("standard", "tier", now=NOW)
        maps = TenantMapRepository(session, contoso)
        assert maps.tier() is None
        maps.assign(regulated, author="ana", reason="PCI scope", now=NOW)
        TenantMapRepository(session, fabrikam).assign(standard, author="ana", reason="r", now=NOW)
        with pytest.raises(InvalidInput, match="'default' is not a tier"):
            maps.assign(default, author="ana", reason="r", now=NOW)
    with sessions.begin() as session:
        baselines = BaselineRepository(session)
        tier = TenantMapRepository(session, contoso).tier()
        assert tier is not None
        assert (tier.tier.name, tier.assigned_by, tier.reason) == ("regulated", "ana", "PCI scope")
        assert baselines.assigned_tenants(baselines.get("regulated")) == [contoso.pk]
        assert baselines.usage() == {regulated.id: 1, standard.id: 1}
        maps = TenantMapRepository(session, contoso)
        maps.assign(standard, author="bo", reason="moved", now=NOW + timedelta(days=1))
        assert baselines.assigned_tenants(baselines.get("standard")) == sorted(
            [contoso.pk, fabrikam.pk]
        )
        maps.assign(None, author="bo", reason="back to default", now=NOW)
        assert maps.tier() is None
    with sessions.begin() as session:
        TenantRepository(session, box).remove(fabrikam)
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(TierAssignmentRow)) == 0
        assert {b.name for b in BaselineRepository(session).list()} == {
            "default",
            "regulated",
            "standard",
        }
