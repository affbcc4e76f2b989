"""Baselines: the MSP default and the tiers; which tenants use them; plan and apply changes.

A change to a baseline reaches every tenant that uses it (every tenant for ``default``, the
tenants on a tier for a tier). :func:`plan_baseline` shows, before anything is stored, how each
affected tenant's effective map would change and which parts of the change a tenant's (or
tier's) own value masks; :func:`apply_baseline` stores the change as a new revision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from remit.controlmap.authors import require_reason
from remit.controlmap.service import RevisionDiff, Saved, revision_diff, store_change, utcnow
from remit.controlmap.stack import (
    TenantSelector,
    baseline_layer,
    ensure_default,
    load_stack,
    revision_of,
    selector,
    stack_index,
)
from remit.errors import InvalidInput, NotFound
from remit.governance.layers import DEFAULT_BASELINE, Conflict, Layer, LayerKind, impact
from remit.governance.model import ControlMapDoc
from remit.governance.paths import flatten, layer_json
from remit.governance.revisions import Change, Revision, content_hash, diff, diff_values
from remit.store.maps import BaselineRepository, LayerRecord, TenantMapRepository
from remit.store.tenants import TenantInfo
from remit.workspace import Workspace

NAME_MAX = 40
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True, slots=True)
class BaselineInfo:
    name: str
    kind: str  # default | tier
    revision: int  # the newest revision
    updated_at: datetime
    author: str  # of the newest revision
    reason: str
    tenants: tuple[str, ...]  # names of the tenants that use it


@dataclass(frozen=True, slots=True)
class TenantPlan:
    tenant: str
    changes: tuple[Change, ...]  # to the tenant's effective map
    conflicts: tuple[Conflict, ...]  # parts of the change the tenant's stack masks


@dataclass(frozen=True, slots=True)
class Plan:
    baseline: str
    kind: str
    revision: int  # the revision the change is made on
    layer_changes: tuple[Change, ...]  # the change to the baseline itself
    tenants: tuple[TenantPlan, ...]  # tenants whose map changes, or that mask part of it
    using: int  # how many tenants use the baseline

    @property
    def affected(self) -> tuple[TenantPlan, ...]:
        return tuple(t for t in self.tenants if t.changes)


@dataclass(frozen=True, slots=True)
class Assigned:
    tenant: str
    before: str  # the tier it was on ("default": none)
    after: str
    changes: tuple[Change, ...]  # to the effective map


def check_name(name: str) -> str:
    handle = name.strip().lower()
    if not _NAME.match(handle) or len(handle) > NAME_MAX:
        raise InvalidInput(
            f"baseline name '{name}' is not usable: use up to {NAME_MAX} lowercase letters, "
            "digits, '-' and '_', starting with a letter or digit"
        )
    return handle


def _tenants_using(session: Session, layer: LayerRecord, workspace: Workspace) -> list[TenantInfo]:
    everyone = workspace.tenants(session).list()
    if layer.kind == LayerKind.DEFAULT.value:
        return everyone
    on_tier = set(BaselineRepository(session).assigned_tenants(layer))
    return [t for t in everyone if t.pk in on_tier]


def _info(session: Session, workspace: Workspace, layer: LayerRecord) -> BaselineInfo:
    head = BaselineRepository(session).head(layer)
    using = _tenants_using(session, layer, workspace)
    return BaselineInfo(
        name=layer.name,
        kind=layer.kind,
        revision=layer.head,
        updated_at=layer.updated_at,
        author=head.author if head else "",
        reason=head.reason if head else "",
        tenants=tuple(t.name for t in using),
    )


def list_baselines(workspace: Workspace, *, now: datetime | None = None) -> list[BaselineInfo]:
    """Every baseline (the default one first), storing the shipped default if needed."""
    with workspace.session() as session:
        ensure_default(session, now=now or utcnow())
        layers = BaselineRepository(session).list()
        infos = [_info(session, workspace, layer) for layer in layers]
    return sorted(infos, key=lambda i: (i.kind != LayerKind.DEFAULT.value, i.name))


def show_baseline(
    workspace: Workspace, name: str, *, now: datetime | None = None
) -> tuple[BaselineInfo, Layer]:
    with workspace.session() as session:
        ensure_default(session, now=now or utcnow())
        layer = BaselineRepository(session).get(name)
        return _info(session, workspace, layer), baseline_layer(session, name)


def create_baseline(
    workspace: Workspace, name: str, *, author: str, reason: str, now: datetime | None = None
) -> BaselineInfo:
    """A new, empty tier on top of the default baseline (revision 1)."""
    handle = check_name(name)
    why = require_reason(reason)
    moment = now or utcnow()
    with workspace.session() as session:
        ensure_default(session, now=moment)
        baselines = BaselineRepository(session)
        layer = baselines.create(handle, LayerKind.TIER.value, now=moment)
        empty = ControlMapDoc()
        baselines.add_revision(
            layer,
            layer_json(empty),
            content_hash=content_hash(empty),
            author=author,
            reason=why,
            now=moment,
        )
        return _info(session, workspace, baselines.get(handle))


def assign_tier(
    workspace: Workspace,
    tenant_ref: TenantSelector,
    name: str,
    *,
    author: str,
    reason: str,
    now: datetime | None = None,
) -> Assigned:
    """Put a tenant on tier ``name`` (``default``: on the default baseline alone)."""
    why = require_reason(reason)
    moment = now or utcnow()
    with workspace.session() as session:
        tenant = workspace.tenants(session).get(selector(tenant_ref))
        ensure_default(session, now=moment)
        baselines = BaselineRepository(session)
        target = None if name == DEFAULT_BASELINE else baselines.get(name)
        if target is not None and target.kind != LayerKind.TIER.value:
            raise InvalidInput(f"'{name}' is not a tier")
        maps = TenantMapRepository(session, tenant)
        before = load_stack(session, tenant)
        maps.assign(target, author=author, reason=why, now=moment)
        after = load_stack(session, tenant)
    changes = diff(before.resolved().doc, after.resolved().doc, only_set=False)
    was = before.tier.tier.name if before.tier else DEFAULT_BASELINE
    return Assigned(tenant.name, was, target.name if target else DEFAULT_BASELINE, tuple(changes))


# --- plan and apply -----------------------------------------------------------------------------


def _plan(
    session: Session, workspace: Workspace, name: str, new_doc: ControlMapDoc
) -> tuple[Plan, Layer]:
    layer_record = BaselineRepository(session).get(name)
    current = baseline_layer(session, name)
    cache: dict[str, Layer] = {}
    plans: list[TenantPlan] = []
    using = _tenants_using(session, layer_record, workspace)
    for tenant in using:
        stack = load_stack(session, tenant, cache=cache)
        index = stack_index(stack, name)
        if index is None:  # pragma: no cover - _tenants_using chose tenants that use it
            continue
        found = impact(stack.layers, index, new_doc)
        if found.changes or found.conflicts:
            plans.append(TenantPlan(tenant.name, found.changes, found.conflicts))
    layer_changes = diff_values(flatten(current.doc), flatten(new_doc))
    plan = Plan(
        baseline=name,
        kind=layer_record.kind,
        revision=layer_record.head,
        layer_changes=tuple(layer_changes),
        tenants=tuple(plans),
        using=len(using),
    )
    return plan, current


def plan_baseline(
    workspace: Workspace, name: str, new_doc: ControlMapDoc, *, now: datetime | None = None
) -> Plan:
    """What replacing baseline ``name`` by ``new_doc`` would do; nothing is stored."""
    with workspace.session() as session:
        ensure_default(session, now=now or utcnow())
        plan, _ = _plan(session, workspace, name, new_doc)
    return plan


def apply_baseline(
    workspace: Workspace,
    name: str,
    new_doc: ControlMapDoc,
    *,
    author: str,
    reason: str,
    now: datetime | None = None,
    restored_from: int | None = None,
) -> tuple[Saved, Plan]:
    """Store ``new_doc`` as baseline ``name``'s next revision (with the plan it carried out)."""
    why = require_reason(reason)
    moment = now or utcnow()
    with workspace.session() as session:
        ensure_default(session, now=moment)
        baselines = BaselineRepository(session)
        locked = baselines.lock(name)
        plan, current = _plan(session, workspace, name, new_doc)

        def add(doc: ControlMapDoc) -> Revision:
            record = baselines.add_revision(
                locked,
                layer_json(doc),
                content_hash=content_hash(doc),
                author=author,
                reason=why,
                now=moment,
                restored_from=restored_from,
            )
            return revision_of(record)

        saved = store_change(current.doc, new_doc, add, label=current.label, previous=locked.head)
    return saved, plan


def baseline_revision(
    workspace: Workspace, name: str, number: int, *, now: datetime | None = None
) -> Revision:
    with workspace.session() as session:
        ensure_default(session, now=now or utcnow())
        baselines = BaselineRepository(session)
        return revision_of(baselines.revision(baselines.get(name), number))


def rollback_baseline(
    workspace: Workspace,
    name: str,
    number: int,
    *,
    author: str,
    reason: str,
    now: datetime | None = None,
) -> tuple[Saved, Plan]:
    old = baseline_revision(workspace, name, number)
    return apply_baseline(
        workspace, name, old.doc, author=author, reason=reason, now=now, restored_from=number
    )


def baseline_history(
    workspace: Workspace, name: str, *, limit: int | None = None, now: datetime | None = None
) -> list[Revision]:
    with workspace.session() as session:
        ensure_default(session, now=now or utcnow())
        baselines = BaselineRepository(session)
        return [revision_of(r) for r in baselines.history(baselines.get(name), limit=limit)]


def baseline_diff(
    workspace: Workspace,
    name: str,
    *,
    before: int | None = None,
    after: int | None = None,
    now: datetime | None = None,
) -> RevisionDiff:
    with workspace.session() as session:
        ensure_default(session, now=now or utcnow())
        baselines = BaselineRepository(session)
        layer = baselines.get(name)

        def get(number: int) -> Revision:
            return revision_of(baselines.revision(layer, number))

        return revision_diff(get, layer.head, f"baseline {name}", before, after)


def baseline_doc(workspace: Workspace, name: str) -> Layer:
    """A baseline's newest revision (the default one as shipped until it is stored)."""
    with workspace.session(write=False) as session:
        if name != DEFAULT_BASELINE and BaselineRepository(session).find(name) is None:
            raise NotFound(
                f"no baseline '{name}' in this workspace; `remit baseline list` shows the baselines"
            )
        return baseline_layer(session, name)
