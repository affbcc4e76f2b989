"""`remit map seed`: approve the privileged access a tenant has now, from its latest snapshot.

What an MSP does at onboarding, so that drift starts from a known state: every role holder the
snapshot shows is approved as seen (eligible or active), and the unlicensed, cloud-only,
permanent Global Administrators are designated as the emergency-access accounts. Approvals and
accounts the effective map already has are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from remit.controlmap.service import Saved, edit_map
from remit.controlmap.stack import Stack, TenantSelector, selector
from remit.errors import NotFound
from remit.governance.edits import add_accounts
from remit.governance.model import ApprovedAccess, ControlMapDoc
from remit.governance.paths import access_key, account_key, normalize
from remit.governance.seed import Seen, seen_access
from remit.posture.data import MissingData, TenantData
from remit.workspace import Workspace


@dataclass(frozen=True, slots=True)
class Seeded:
    saved: Saved
    snapshot_id: int
    snapshot_taken_at: datetime
    approved: tuple[ApprovedAccess, ...]  # approvals added
    emergency_accounts: tuple[str, ...]  # accounts designated


def _snapshot(
    workspace: Workspace, tenant_ref: TenantSelector
) -> tuple[str, int, datetime, TenantData]:
    with workspace.session(write=False) as session:
        tenant = workspace.tenants(session).get(selector(tenant_ref))
        snapshots = workspace.snapshots(session, tenant)
        last = snapshots.latest_usable()
        if last is None:
            raise NotFound(
                f"tenant {tenant.name} has no usable snapshot to seed from; collect one with "
                f"`remit inventory collect -t {tenant.name}`"
            )
        payloads = snapshots.load(last.id)
    return (
        tenant.name,
        last.id,
        last.finished_at,
        TenantData(payloads, last.endpoints, now=last.finished_at),
    )


def seed_map(
    workspace: Workspace,
    tenant_ref: TenantSelector,
    *,
    author: str,
    reason: str,
    ticket: str = "",
    now: datetime | None = None,
) -> Seeded:
    name, snapshot_id, taken_at, data = _snapshot(workspace, tenant_ref)
    try:
        seen: Seen = seen_access(data, approved_by=author, ticket=ticket)
    except MissingData as exc:
        raise NotFound(
            f"cannot seed tenant {name}'s approvals from snapshot {snapshot_id}: {exc.cause}"
        ) from None
    added: list[ApprovedAccess] = []
    designated: list[str] = []

    def edit(doc: ControlMapDoc, stack: Stack) -> ControlMapDoc:
        effective = stack.resolved().doc
        approved = {access_key(a) for a in effective.privileged_access}
        new = [a for a in seen.access if access_key(a) not in approved]
        added.extend(new)
        with_access = doc.model_copy(update={"privileged_access": [*doc.privileged_access, *new]})
        present = {account_key(a) for a in effective.emergency_accounts}
        accounts = [a for a in seen.emergency_accounts if account_key(a) not in present]
        result, fresh = add_accounts(with_access, accounts)
        designated.extend(fresh)
        return normalize(result)

    saved = edit_map(workspace, tenant_ref, edit, author=author, reason=reason, now=now)
    return Seeded(saved, snapshot_id, taken_at, tuple(added), tuple(designated))
