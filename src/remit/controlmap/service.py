"""A tenant's control map: the effective map, edits of the tenant's layer, history and rollback.

Every edit runs in one database transaction: the tenant's layer is locked, the edit is applied
to its newest revision, the result is validated and stored as a new revision (author, time,
reason). An edit that changes nothing stores nothing. Nothing here prints: the CLI does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from remit.controlmap.authors import require_reason
from remit.controlmap.stack import (
    Stack,
    TenantSelector,
    ensure_default,
    load_stack,
    revision_of,
    selector,
)
from remit.errors import NotFound
from remit.governance.layers import Resolved
from remit.governance.model import ControlMapDoc
from remit.governance.paths import layer_json, normalize
from remit.governance.revisions import Change, Revision, content_hash, diff
from remit.governance.validate import KnownIds
from remit.store.maps import TenantMapRepository
from remit.store.tenants import TenantInfo
from remit.workspace import Workspace

Edit = Callable[[ControlMapDoc, Stack], ControlMapDoc]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Saved:
    """The outcome of a change to a layer."""

    layer: str  # "tenant contoso", "baseline default", "tier regulated"
    revision: Revision | None  # None: the change changed nothing, so nothing was stored
    previous: int  # the revision it was made on (0: none)
    changes: tuple[Change, ...]

    @property
    def changed(self) -> bool:
        return self.revision is not None


@dataclass(frozen=True, slots=True)
class Explained:
    """A tenant's effective map, the layers it came from and the source of every value."""

    stack: Stack
    resolved: Resolved

    @property
    def doc(self) -> ControlMapDoc:
        return self.resolved.doc


@dataclass(frozen=True, slots=True)
class RevisionDiff:
    before: Revision | None  # None: the empty layer before the first revision
    after: Revision
    changes: tuple[Change, ...]


# --- reading ------------------------------------------------------------------------------------


def effective_map_in(session: Session, tenant: TenantInfo) -> ControlMapDoc:
    """The effective map of ``tenant``, read in the caller's session."""
    return load_stack(session, tenant).resolved().doc


def effective_map(workspace: Workspace, tenant_ref: TenantSelector) -> ControlMapDoc:
    """The tenant's effective control map: default baseline, its tier, its own layer merged;
    every catalogue control has a complete entry."""
    with workspace.session(write=False) as session:
        tenant = workspace.tenants(session).get(selector(tenant_ref))
        return effective_map_in(session, tenant)


def explain_map(
    workspace: Workspace, tenant_ref: TenantSelector, known: KnownIds | None = None
) -> Explained:
    with workspace.session(write=False) as session:
        tenant = workspace.tenants(session).get(selector(tenant_ref))
        stack = load_stack(session, tenant)
    return Explained(stack, stack.resolved(known))


def map_history(
    workspace: Workspace, tenant_ref: TenantSelector, *, limit: int | None = None
) -> tuple[TenantInfo, list[Revision]]:
    """The tenant's own revisions, newest first."""
    with workspace.session(write=False) as session:
        tenant = workspace.tenants(session).get(selector(tenant_ref))
        records = TenantMapRepository(session, tenant).history(limit=limit)
    return tenant, [revision_of(r) for r in records]


def map_revision(workspace: Workspace, tenant_ref: TenantSelector, number: int) -> Revision:
    with workspace.session(write=False) as session:
        tenant = workspace.tenants(session).get(selector(tenant_ref))
        return revision_of(TenantMapRepository(session, tenant).revision(number))


def revision_diff(
    get: Callable[[int], Revision], head: int, what: str, before: int | None, after: int | None
) -> RevisionDiff:
    """Compare two revisions (default: the newest with the one before it; 0 is the empty
    layer before the first revision)."""
    if not head:
        raise NotFound(f"{what} has no revisions yet")
    newer = get(after if after is not None else head)
    older_number = before if before is not None else newer.number - 1
    older = get(older_number) if older_number > 0 else None
    changes = diff(older.doc if older else ControlMapDoc(), newer.doc)
    return RevisionDiff(older, newer, tuple(changes))


def map_diff(
    workspace: Workspace,
    tenant_ref: TenantSelector,
    *,
    before: int | None = None,
    after: int | None = None,
) -> tuple[TenantInfo, RevisionDiff]:
    with workspace.session(write=False) as session:
        tenant = workspace.tenants(session).get(selector(tenant_ref))
        maps = TenantMapRepository(session, tenant)
        layer = maps.layer()

        def get(number: int) -> Revision:
            return revision_of(maps.revision(number))

        found = revision_diff(
            get, layer.head if layer else 0, f"tenant {tenant.name}'s map", before, after
        )
    return tenant, found


# --- changing -----------------------------------------------------------------------------------


def store_change(
    before: ControlMapDoc,
    after: ControlMapDoc,
    add: Callable[[ControlMapDoc], Revision],
    *,
    label: str,
    previous: int,
) -> Saved:
    """Store ``after`` through ``add`` unless it equals ``before``."""
    canonical = normalize(after)
    if content_hash(canonical) == content_hash(before):
        return Saved(label, None, previous, ())
    return Saved(label, add(canonical), previous, tuple(diff(before, canonical)))


def edit_map(
    workspace: Workspace,
    tenant_ref: TenantSelector,
    edit: Edit,
    *,
    author: str,
    reason: str,
    now: datetime | None = None,
    restored_from: int | None = None,
) -> Saved:
    """Apply ``edit`` to the tenant's own layer and store the result, in one transaction."""
    why = require_reason(reason)
    moment = now or utcnow()
    with workspace.session() as session:
        tenant = workspace.tenants(session).get(selector(tenant_ref))
        ensure_default(session, now=moment)
        maps = TenantMapRepository(session, tenant)
        locked = maps.lock(now=moment)
        stack = load_stack(session, tenant)
        before = stack.own.doc

        def add(doc: ControlMapDoc) -> Revision:
            record = maps.add_revision(
                layer_json(doc),
                content_hash=content_hash(doc),
                author=author,
                reason=why,
                now=moment,
                restored_from=restored_from,
            )
            return revision_of(record)

        return store_change(
            before, edit(before, stack), add, label=f"tenant {tenant.name}", previous=locked.head
        )


def import_map(
    workspace: Workspace,
    tenant_ref: TenantSelector,
    doc: ControlMapDoc,
    *,
    author: str,
    reason: str,
    now: datetime | None = None,
) -> Saved:
    """Replace the tenant's layer with ``doc`` (validated already, e.g. by ``load_yaml``)."""
    return edit_map(
        workspace, tenant_ref, lambda _doc, _stack: doc, author=author, reason=reason, now=now
    )


def rollback_map(
    workspace: Workspace,
    tenant_ref: TenantSelector,
    number: int,
    *,
    author: str,
    reason: str,
    now: datetime | None = None,
) -> Saved:
    """A new revision of the tenant's layer with the content of revision ``number``."""
    old = map_revision(workspace, tenant_ref, number)
    return edit_map(
        workspace,
        tenant_ref,
        lambda _doc, _stack: old.doc,
        author=author,
        reason=reason,
        now=now,
        restored_from=number,
    )
