"""Change events from ``auditLogs/directoryAudits``: who changed what, and when.

Activities (matched without regard to case, dashes or spacing) and the kind they map to:

============================================================  =============================
``Add member to role`` (also "... completed (permanent)")      ``role-added`` (active)
``Add eligible member to role`` (and PIM's "... completed")    ``role-added`` (eligible)
``Remove member from role`` / ``Remove eligible member ...``   ``role-removed``
``Add conditional access policy``                              ``ca-created``
``Update conditional access policy``                           ``ca-changed`` or ``ca-disabled``
``Delete conditional access policy``                           ``ca-deleted``
``Update policy`` on the security defaults policy              ``security-defaults-toggled``
``Update application – Certificates and secrets management``   ``app-credential-added``
``Admin deleted security info`` / ``User deleted ...``         ``mfa-removed`` (admins only)
============================================================  =============================

PIM requests and activations ("... requested", "(PIM activation)") are not changes of who may
hold a role and are skipped, as are failed operations. The actor is the initiating user's UPN,
or the initiating app's name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from remit.domain import ChangeEvent, ChangeKind, Resource, Severity
from remit.governance.changes import AUDIT_LOG, Change, bounded_key, change_severity
from remit.governance.principals import (
    AUDITS,
    Directory,
    Roles,
    audit_value,
    first_text,
    normalize_activity,
    role_severity_rank,
)
from remit.posture.data import MissingData, TenantData
from remit.posture.views import parse_time, role_holders

SECURITY_DEFAULTS = "policies/identitySecurityDefaultsEnforcementPolicy"
CA_FIELDS = ("state", "conditions", "grantControls", "sessionControls", "displayName")
_PRINCIPAL_TYPES = {"user": "user", "serviceprincipal": "servicePrincipal", "group": "group"}
_KEY_GROUP = re.compile(r"\[([^\[\]]*KeyIdentifier=[^\[\]]*)\]")


@dataclass(frozen=True, slots=True)
class _Context:
    tenant_id: str
    directory: Directory
    roles: Roles
    admins: frozenset[str] | None  # ids of role holders; None when roles were not collected
    security_defaults_id: str


@dataclass(frozen=True, slots=True)
class _Record:
    raw: dict[str, Any]
    id: str
    when: datetime
    actor: str


Handler = Callable[[_Context, _Record], list[Change]]


def audit_changes(data: TenantData, *, tenant_id: str) -> list[Change]:
    """The changes the snapshot's audit log records (none when it was not collected)."""
    records = data.optional_collection(AUDITS)
    if not records:
        return []
    context = _Context(
        tenant_id=tenant_id,
        directory=Directory(data),
        roles=Roles(data),
        admins=_admins(data),
        security_defaults_id=str(
            (data.object(SECURITY_DEFAULTS) if data.has(SECURITY_DEFAULTS) else {}).get("id", "")
        ),
    )
    changes: list[Change] = []
    for raw in records:
        if str(raw.get("result") or "success").lower() != "success":
            continue
        when = parse_time(raw.get("activityDateTime"))
        handler = _handler(normalize_activity(raw.get("activityDisplayName")))
        if when is None or handler is None:
            continue
        changes.extend(handler(context, _Record(raw, _record_id(raw), when, actor_of(raw))))
    return changes


def actor_of(record: dict[str, Any]) -> str:
    """The initiating user's UPN, else the initiating app's name, else ``""``."""
    by = record.get("initiatedBy") or {}
    user = by.get("user") or {}
    if user.get("userPrincipalName"):
        return str(user["userPrincipalName"])
    app = by.get("app") or {}
    for name in (app.get("displayName"), app.get("servicePrincipalName"), app.get("appId")):
        if name:
            return str(name)
    return str(user.get("displayName") or user.get("id") or "")


def _record_id(record: dict[str, Any]) -> str:
    if record.get("id"):
        return str(record["id"])
    text = json.dumps(record, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _admins(data: TenantData) -> frozenset[str] | None:
    try:
        return frozenset(h.principal_id for h in role_holders(data))
    except MissingData:
        return None


def _handler(activity: str) -> Handler | None:
    if "requested" in activity or "activation" in activity:
        return None  # PIM requests and activations: not changes of who may hold a role
    for prefix, handler in _PREFIXES:
        if activity.startswith(prefix):
            return handler
    if "security info" in activity and "delete" in activity:
        return _mfa_removed
    if activity.endswith("certificates and secrets management"):
        return _credentials
    return None


# --- roles ---------------------------------------------------------------------------------


def _role_handler(kind: ChangeKind, eligible: bool) -> Handler:
    def handle(context: _Context, record: _Record) -> list[Change]:
        return _role_change(context, record, kind, eligible)

    return handle


def _role_change(
    context: _Context, record: _Record, kind: ChangeKind, eligible: bool
) -> list[Change]:
    targets = record.raw.get("targetResources") or []
    principal = next(
        (t for t in targets if str(t.get("type", "")).lower() in _PRINCIPAL_TYPES), None
    ) or next((t for t in targets if str(t.get("type", "")).lower() != "role"), None)
    if principal is None or not principal.get("id"):
        return []
    name, template = _role_of(context, targets)
    role = name or (context.roles.name(template) if template else "a directory role")
    target = _principal_resource(context, principal)
    access = "eligible" if eligible else "active"
    verb = "added to" if kind is ChangeKind.ROLE_ADDED else "removed from"
    rank = role_severity_rank(template or context.roles.template(name) or "")
    return [
        _change(
            context,
            record,
            kind,
            target,
            f"{target.name} {verb} {role} ({access})",
            match=f"{kind.value}:{target.id}:{context.roles.key(template, name)}:{access}",
            severity=change_severity(kind, role_rank=rank),
            role=role,
        )
    ]


def _role_of(context: _Context, targets: list[dict[str, Any]]) -> tuple[str, str | None]:
    """(display name, template id) of the role an audit record names."""
    name, template = "", None
    for target in targets:
        if str(target.get("type", "")).lower() == "role" and target.get("displayName"):
            name = name or str(target["displayName"])
        for prop in target.get("modifiedProperties") or []:
            value = first_text(audit_value(prop.get("newValue"))) or first_text(
                audit_value(prop.get("oldValue"))
            )
            if prop.get("displayName") == "Role.DisplayName" and value:
                name = value
            elif prop.get("displayName") == "Role.TemplateId" and value:
                template = value.lower()
    if template is None and name:
        template = context.roles.template(name)
    if not name and template:
        name = context.roles.name(template)
    return name, template


def _principal_resource(context: _Context, target: dict[str, Any]) -> Resource:
    pid = str(target["id"])
    known = context.directory.resource(pid)
    if known.name != pid:
        return known
    kind = _PRINCIPAL_TYPES.get(str(target.get("type", "")).lower(), "user")
    name = target.get("userPrincipalName") or target.get("displayName") or pid
    return Resource(kind, pid, str(name))


# --- conditional access ----------------------------------------------------------------------


def _ca_handler(kind: ChangeKind) -> Handler:
    def handle(context: _Context, record: _Record) -> list[Change]:
        return _ca_change(context, record, kind)

    return handle


def _ca_change(context: _Context, record: _Record, kind: ChangeKind) -> list[Change]:
    targets = record.raw.get("targetResources") or []
    if not targets or not targets[0].get("id"):
        return []
    policy = targets[0]
    pid = str(policy["id"])
    old, new = _policy_values(policy)
    name = str(policy.get("displayName") or new.get("displayName") or old.get("displayName") or pid)
    target = Resource("policy", pid, name)
    if kind is ChangeKind.CA_CREATED:
        state = new.get("state")
        details = f"conditional access policy {name!r} created" + (f" ({state})" if state else "")
        match = f"ca-created:{pid}"
    elif kind is ChangeKind.CA_DELETED:
        details, match = f"conditional access policy {name!r} deleted", f"ca-deleted:{pid}"
    else:
        match = f"ca-updated:{pid}"
        if old.get("state") == "enabled" and new.get("state") not in (None, "enabled"):
            kind = ChangeKind.CA_DISABLED
            details = f"conditional access policy {name!r} {describe_ca_change(old, new)}"
        else:
            changed = describe_ca_change(old, new) if old or new else "changed"
            details = f"conditional access policy {name!r} {changed}"
    return [_change(context, record, kind, target, details, match, change_severity(kind))]


def _policy_values(policy: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    for prop in policy.get("modifiedProperties") or []:
        if prop.get("displayName") == "ConditionalAccessPolicy":
            old, new = audit_value(prop.get("oldValue")), audit_value(prop.get("newValue"))
            return (old if isinstance(old, dict) else {}), (new if isinstance(new, dict) else {})
    return {}, {}


def describe_ca_change(old: dict[str, Any], new: dict[str, Any]) -> str:
    """``state enabled → disabled``, ``changed: conditions, grantControls``."""
    parts: list[str] = []
    if old.get("state") != new.get("state"):
        parts.append(f"state {old.get('state')} → {new.get('state')}")
    fields = [f for f in CA_FIELDS[1:] if old.get(f) != new.get(f)]
    if fields:
        parts.append("changed: " + ", ".join(fields))
    return "; ".join(parts) or "updated"


# --- security defaults, applications, MFA ----------------------------------------------------


def _security_defaults(context: _Context, record: _Record) -> list[Change]:
    for target in record.raw.get("targetResources") or []:
        named = "security defaults" in str(target.get("displayName") or "").lower()
        same_id = bool(context.security_defaults_id) and (
            str(target.get("id")) == context.security_defaults_id
        )
        if not (named or same_id):
            continue
        enabled: bool | None = None
        for prop in target.get("modifiedProperties") or []:
            if str(prop.get("displayName", "")).lower() == "isenabled":
                value = first_text(audit_value(prop.get("newValue"))).lower()
                enabled = value == "true" if value in ("true", "false") else None
        state = {True: "on", False: "off", None: "changed"}[enabled]
        resource = Resource(
            "policy", str(target.get("id") or "securityDefaults"), "Security Defaults"
        )
        details = "security defaults " + (f"switched {state}" if enabled is not None else state)
        severity = change_severity(ChangeKind.SECURITY_DEFAULTS_TOGGLED, enabled=enabled)
        return [
            _change(
                context,
                record,
                ChangeKind.SECURITY_DEFAULTS_TOGGLED,
                resource,
                details,
                f"security-defaults:{state}",
                severity,
            )
        ]
    return []


def credential_descriptions(value: Any) -> dict[str, dict[str, str]]:
    """Key id → attributes, from an audit ``KeyDescription`` value.

    Entra writes ``[KeyIdentifier=…,KeyType=Password,KeyUsage=Verify,DisplayName=…]`` per key,
    as one string or a list of them.
    """
    decoded = audit_value(value)
    text = " ".join(str(v) for v in decoded) if isinstance(decoded, list) else str(decoded or "")
    keys: dict[str, dict[str, str]] = {}
    for group in _KEY_GROUP.findall(text):
        attributes: dict[str, str] = {}
        for part in group.split(","):
            name, _, val = part.partition("=")
            attributes[name.strip()] = val.strip()
        if attributes.get("KeyIdentifier"):
            keys[attributes["KeyIdentifier"].lower()] = attributes
    return keys


def _credentials(context: _Context, record: _Record) -> list[Change]:
    changes: list[Change] = []
    for target in record.raw.get("targetResources") or []:
        kind = str(target.get("type", "")).lower()
        if kind not in ("application", "serviceprincipal") or not target.get("id"):
            continue
        app_id = str(target["id"])
        name = str(target.get("displayName") or app_id)
        resource = Resource(
            "application" if kind == "application" else "servicePrincipal", app_id, name
        )
        old: dict[str, dict[str, str]] = {}
        new: dict[str, dict[str, str]] = {}
        for prop in target.get("modifiedProperties") or []:
            if prop.get("displayName") == "KeyDescription":
                old = credential_descriptions(prop.get("oldValue"))
                new = credential_descriptions(prop.get("newValue"))
        for key_id in sorted(set(new) - set(old)):
            attributes = new[key_id]
            what = (
                "certificate"
                if attributes.get("KeyType", "").lower() == "asymmetricx509cert"
                else "client secret"
            )
            label = attributes.get("DisplayName", "")
            details = f"new {what}" + (f" {label!r}" if label else "") + f" on {name!r}"
            changes.append(
                _change(
                    context,
                    record,
                    ChangeKind.APP_CREDENTIAL_ADDED,
                    resource,
                    details,
                    f"app-credential:{app_id}:{key_id}",
                    change_severity(ChangeKind.APP_CREDENTIAL_ADDED),
                    suffix=key_id,
                )
            )
    return changes


def _mfa_removed(context: _Context, record: _Record) -> list[Change]:
    changes: list[Change] = []
    for target in record.raw.get("targetResources") or []:
        if str(target.get("type", "")).lower() != "user" or not target.get("id"):
            continue
        user_id = str(target["id"])
        if context.admins is not None and user_id not in context.admins:
            continue  # only admins' MFA matters here
        methods = [
            first_text(audit_value(p.get("oldValue")))
            for p in target.get("modifiedProperties") or []
            if first_text(audit_value(p.get("oldValue")))
        ]
        resource = _principal_resource(context, target)
        what = f" ({', '.join(methods)})" if methods else ""
        changes.append(
            _change(
                context,
                record,
                ChangeKind.MFA_REMOVED,
                resource,
                f"MFA method removed from admin {resource.name}{what}",
                f"mfa-removed:{user_id}",
                change_severity(ChangeKind.MFA_REMOVED),
                suffix=user_id if len(record.raw.get("targetResources") or []) > 1 else "",
            )
        )
    return changes


def _change(
    context: _Context,
    record: _Record,
    kind: ChangeKind,
    target: Resource,
    details: str,
    match: str,
    severity: Severity,
    role: str = "",
    suffix: str = "",
) -> Change:
    key = f"audit:{record.id}" + (f":{suffix}" if suffix else "")
    event = ChangeEvent(
        key=bounded_key(key),
        tenant_id=context.tenant_id,
        kind=kind,
        occurred_at=record.when,
        actor=record.actor,
        target=target,
        details=details,
        source=AUDIT_LOG,
    )
    return Change(event=event, match=match, severity=severity, role=role)


_PREFIXES: tuple[tuple[str, Handler], ...] = (
    ("add eligible member to role", _role_handler(ChangeKind.ROLE_ADDED, eligible=True)),
    ("add member to role", _role_handler(ChangeKind.ROLE_ADDED, eligible=False)),
    ("remove eligible member from role", _role_handler(ChangeKind.ROLE_REMOVED, eligible=True)),
    ("remove member from role", _role_handler(ChangeKind.ROLE_REMOVED, eligible=False)),
    ("add conditional access policy", _ca_handler(ChangeKind.CA_CREATED)),
    ("update conditional access policy", _ca_handler(ChangeKind.CA_CHANGED)),
    ("delete conditional access policy", _ca_handler(ChangeKind.CA_DELETED)),
    ("update policy", _security_defaults),
)
