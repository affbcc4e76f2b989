"""Change events from comparing two snapshots: seen even when the audit log is not readable.

A diff cannot say who made a change nor exactly when: each change is dated at the later
snapshot, its window starts at the earlier one, and its actor is ``""``. Only what both
snapshots hold is compared (a key missing from either, say because of a missing licence, yields
no changes rather than a false "deleted"). Role holders that PIM activations make and unmake are
ignored: they are uses of an eligible assignment, not new privileges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from remit.domain import ChangeEvent, ChangeKind, Resource, Severity
from remit.governance.changes import SNAPSHOT_DIFF, Change, bounded_key, change_severity
from remit.governance.events_audit import CA_FIELDS, SECURITY_DEFAULTS, describe_ca_change
from remit.governance.principals import Directory, Roles, role_severity_rank
from remit.posture.data import MissingData, TenantData
from remit.posture.views import (
    CA_POLICIES,
    REGISTRATION,
    ROLE_ELIGIBILITY,
    RoleHolder,
    by_id,
    role_holders,
)

PASSWORD_METHOD = "#microsoft.graph.passwordAuthenticationMethod"  # noqa: S105 - a type name
_HolderKey = tuple[str, str, str, str]  # principal, role template, kind, via group


@dataclass(frozen=True, slots=True)
class _Diff:
    tenant_id: str
    before: TenantData
    after: TenantData
    directory: Directory  # principals of both snapshots (the later one wins)
    roles: Roles

    def change(
        self,
        kind: ChangeKind,
        target: Resource,
        details: str,
        match: str,
        severity: Severity,
        role: str = "",
    ) -> Change:
        seen = self.after.now
        event = ChangeEvent(
            key=bounded_key(f"diff:{match}@{seen.isoformat()}"),
            tenant_id=self.tenant_id,
            kind=kind,
            occurred_at=seen,
            actor="",
            target=target,
            details=f"{details} (between {_when(self.before.now)} and {_when(seen)})",
            source=SNAPSHOT_DIFF,
        )
        return Change(event, match, severity, role=role, window_start=self.before.now)


def snapshot_changes(before: TenantData, after: TenantData, *, tenant_id: str) -> list[Change]:
    """What changed from ``before`` to ``after`` (both dated by their ``now``)."""
    diff = _Diff(tenant_id, before, after, _Directories(before, after), Roles(after))
    changes = [
        *_role_changes(diff),
        *_mfa_changes(diff),
        *_ca_changes(diff),
        *_security_defaults_changes(diff),
        *_credential_changes(diff),
    ]
    return sorted(changes, key=lambda c: c.event.key)


class _Directories(Directory):
    """A directory of both snapshots, so removed principals still have names."""

    def __init__(self, before: TenantData, after: TenantData) -> None:
        super().__init__(before)
        later = Directory(after)
        self.users.update(later.users)
        self.groups.update(later.groups)
        self.service_principals.update(later.service_principals)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


# --- roles ---------------------------------------------------------------------------------


def _holders(data: TenantData, other: TenantData) -> dict[_HolderKey, RoleHolder] | None:
    try:
        holders = role_holders(data)
    except MissingData:
        return None
    both_eligible = data.has(ROLE_ELIGIBILITY) and other.has(ROLE_ELIGIBILITY)
    out: dict[_HolderKey, RoleHolder] = {}
    for holder in holders:
        if holder.kind == "active" and holder.assignment_type == "Activated":
            continue
        if holder.kind == "eligible" and not both_eligible:
            continue
        if holder.via_group:
            members = f"groups/{holder.via_group}/members"
            if not (data.has(members) and other.has(members)):
                continue
        key = (holder.principal_id, holder.role_template_id, holder.kind, holder.via_group or "")
        out[key] = holder
    return out


def _role_changes(diff: _Diff) -> list[Change]:
    before = _holders(diff.before, diff.after)
    after = _holders(diff.after, diff.before)
    if before is None or after is None:
        return []
    changes: list[Change] = []
    for kind, keys, holders in (
        (ChangeKind.ROLE_ADDED, after.keys() - before.keys(), after),
        (ChangeKind.ROLE_REMOVED, before.keys() - after.keys(), before),
    ):
        for key in sorted(keys):
            holder = holders[key]
            target = diff.directory.resource(holder.principal_id, holder.principal_type)
            role = diff.roles.name(holder.role_template_id) or holder.role_name
            verb = "added to" if kind is ChangeKind.ROLE_ADDED else "removed from"
            through = (
                f" through group {diff.directory.label(holder.via_group)}"
                if holder.via_group
                else ""
            )
            changes.append(
                diff.change(
                    kind,
                    target,
                    f"{target.name} {verb} {role} ({holder.kind}){through}",
                    f"{kind.value}:{holder.principal_id}:"
                    f"{diff.roles.key(holder.role_template_id, role)}:{holder.kind}"
                    + (f":{holder.via_group}" if holder.via_group else ""),
                    change_severity(kind, role_rank=role_severity_rank(holder.role_template_id)),
                    role=role,
                )
            )
    return changes


# --- MFA methods of admins ---------------------------------------------------------------------


def _admin_ids(data: TenantData) -> set[str]:
    try:
        return {h.principal_id for h in role_holders(data) if h.principal_type != "group"}
    except MissingData:
        return set()


def _strong_methods(data: TenantData, user_id: str) -> dict[str, str] | None:
    methods = data.optional_collection(f"users/{user_id}/authentication/methods")
    if methods is None:
        return None
    return {
        str(m.get("id")): str(m.get("@odata.type", "")).removeprefix("#microsoft.graph.")
        for m in methods
        if m.get("@odata.type") != PASSWORD_METHOD
    }


def _registered(data: TenantData, user_id: str) -> set[str] | None:
    details = by_id(data.optional_collection(REGISTRATION) or []).get(user_id)
    if details is None:
        return None
    return {str(m) for m in details.get("methodsRegistered") or [] if m != "password"}


def _mfa_changes(diff: _Diff) -> list[Change]:
    changes: list[Change] = []
    for user_id in sorted(_admin_ids(diff.before) | _admin_ids(diff.after)):
        old, new = _strong_methods(diff.before, user_id), _strong_methods(diff.after, user_id)
        if old is not None and new is not None:
            removed = sorted(old[m] for m in old.keys() - new.keys())
        else:
            was, now = _registered(diff.before, user_id), _registered(diff.after, user_id)
            removed = sorted(was - now) if was is not None and now is not None else []
        if not removed:
            continue
        target = diff.directory.resource(user_id)
        changes.append(
            diff.change(
                ChangeKind.MFA_REMOVED,
                target,
                f"MFA method removed from admin {target.name} ({', '.join(removed)})",
                f"mfa-removed:{user_id}",
                change_severity(ChangeKind.MFA_REMOVED),
            )
        )
    return changes


# --- conditional access, security defaults ------------------------------------------------------


def _ca_changes(diff: _Diff) -> list[Change]:
    old_list, new_list = (
        diff.before.optional_collection(CA_POLICIES),
        diff.after.optional_collection(CA_POLICIES),
    )
    if old_list is None or new_list is None:
        return []
    old, new = by_id(old_list), by_id(new_list)
    changes: list[Change] = []
    for pid in sorted(new.keys() - old.keys()):
        policy = new[pid]
        target = Resource("policy", pid, str(policy.get("displayName") or pid))
        changes.append(
            diff.change(
                ChangeKind.CA_CREATED,
                target,
                f"conditional access policy {target.name!r} created ({policy.get('state')})",
                f"ca-created:{pid}",
                change_severity(ChangeKind.CA_CREATED),
            )
        )
    for pid in sorted(old.keys() - new.keys()):
        target = Resource("policy", pid, str(old[pid].get("displayName") or pid))
        changes.append(
            diff.change(
                ChangeKind.CA_DELETED,
                target,
                f"conditional access policy {target.name!r} deleted",
                f"ca-deleted:{pid}",
                change_severity(ChangeKind.CA_DELETED),
            )
        )
    for pid in sorted(old.keys() & new.keys()):
        was, now = old[pid], new[pid]
        if all(was.get(f) == now.get(f) for f in CA_FIELDS):
            continue
        disabled = was.get("state") == "enabled" and now.get("state") != "enabled"
        kind = ChangeKind.CA_DISABLED if disabled else ChangeKind.CA_CHANGED
        target = Resource("policy", pid, str(now.get("displayName") or pid))
        changes.append(
            diff.change(
                kind,
                target,
                f"conditional access policy {target.name!r} {describe_ca_change(was, now)}",
                f"ca-updated:{pid}",
                change_severity(kind),
            )
        )
    return changes


def _security_defaults_changes(diff: _Diff) -> list[Change]:
    if not (diff.before.has(SECURITY_DEFAULTS) and diff.after.has(SECURITY_DEFAULTS)):
        return []
    was = diff.before.object(SECURITY_DEFAULTS).get("isEnabled")
    policy = diff.after.object(SECURITY_DEFAULTS)
    now = policy.get("isEnabled")
    if not isinstance(was, bool) or not isinstance(now, bool) or was == now:
        return []
    state = "on" if now else "off"
    target = Resource("policy", str(policy.get("id") or "securityDefaults"), "Security Defaults")
    return [
        diff.change(
            ChangeKind.SECURITY_DEFAULTS_TOGGLED,
            target,
            f"security defaults switched {state}",
            f"security-defaults:{state}",
            change_severity(ChangeKind.SECURITY_DEFAULTS_TOGGLED, enabled=now),
        )
    ]


# --- application credentials ------------------------------------------------------------------


def _credentials(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for field, what in (
        ("passwordCredentials", "client secret"),
        ("keyCredentials", "certificate"),
    ):
        for credential in item.get(field) or []:
            if isinstance(credential, dict) and credential.get("keyId"):
                out[str(credential["keyId"]).lower()] = {**credential, "_what": what}
    return out


def _credential_changes(diff: _Diff) -> list[Change]:
    changes: list[Change] = []
    for key, kind, new_objects_count in (
        ("applications", "application", True),
        ("servicePrincipals", "servicePrincipal", False),
    ):
        old_list, new_list = (
            diff.before.optional_collection(key),
            diff.after.optional_collection(key),
        )
        if old_list is None or new_list is None:
            continue
        old = by_id(old_list)
        for oid, item in sorted(by_id(new_list).items()):
            if oid not in old and not new_objects_count:
                continue  # a new enterprise app: its consent is the change, not its keys
            known = _credentials(old.get(oid, {}))
            name = str(item.get("displayName") or oid)
            target = Resource(kind, oid, name)
            for key_id, credential in sorted(_credentials(item).items()):
                if key_id in known:
                    continue
                changes.append(
                    diff.change(
                        ChangeKind.APP_CREDENTIAL_ADDED,
                        target,
                        _credential_details(credential, name),
                        f"app-credential:{oid}:{key_id}",
                        change_severity(ChangeKind.APP_CREDENTIAL_ADDED),
                    )
                )
    return changes


def _credential_details(credential: dict[str, Any], owner: str) -> str:
    label = credential.get("displayName")
    text = f"new {credential['_what']}" + (f" {label!r}" if label else "") + f" on {owner!r}"
    end = str(credential.get("endDateTime") or "")[:10]
    return text + (f", valid until {end}" if end else "")
