"""Fixture files: one tenant's Graph data as JSON, validated with line numbers on errors.

A fixture maps Graph v1.0 paths (relative to ``/v1.0/``) to the body a GET of that path returns
(see :mod:`remit.emulator.model`). An optional ``"_emulator"`` key may carry ``tenantId``,
``displayName``, ``primaryDomain``, ``clientId``, ``clientSecret``, ``grantedPermissions``,
``licenses`` and ``profile``; what is absent is derived deterministically from the file content.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from remit.emulator.errors import FixtureError
from remit.emulator.model import (
    LICENSE_ENTRA_P1,
    LICENSE_ENTRA_P2,
    LICENSE_INTUNE,
    TenantSpec,
)

RESERVED_KEY = "_emulator"
_NAMESPACE = uuid.UUID("6b1d3c52-4e0f-4d8e-9a51-0c3b8f7e2a10")

# Every application permission the emulator's endpoints ask for (granted when a fixture is silent).
ALL_PERMISSIONS = frozenset(
    {
        "Application.Read.All",
        "AuditLog.Read.All",
        "Directory.Read.All",
        "Domain.Read.All",
        "Group.Read.All",
        "GroupMember.Read.All",
        "DeviceManagementManagedDevices.Read.All",
        "Organization.Read.All",
        "Policy.Read.All",
        "RoleManagement.Read.Directory",
        "RoleManagementPolicy.Read.Directory",
        "SecurityEvents.Read.All",
        "User.Read.All",
        "UserAuthenticationMethod.Read.All",
    }
)
DEFAULT_LICENSES = frozenset({LICENSE_ENTRA_P1, LICENSE_ENTRA_P2, LICENSE_INTUNE})
_META_FIELDS = {
    "tenantId": str,
    "displayName": str,
    "primaryDomain": str,
    "clientId": str,
    "clientSecret": str,
    "profile": str,
    "grantedPermissions": list,
    "licenses": list,
}


def check_body(key: str, body: Any) -> str | None:
    """Why ``body`` is not a valid fixture body for ``key`` (None when it is)."""
    if not key or key.startswith("/") or key.endswith("/") or "?" in key:
        return (
            f"key {key!r} is not a Graph path relative to /v1.0/ "
            "(like 'users' or 'groups/ID/members')"
        )
    if not isinstance(body, dict):
        return f"key {key!r}: the body must be a JSON object, not {type(body).__name__}"
    if "value" not in body:
        return None
    items = body["value"]
    if not isinstance(items, list):
        return f"key {key!r}: a collection body needs a list in 'value'"
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            return f"key {key!r}: value[{index}] is not an object with a string 'id'"
    return None


def _line_of_key(text: str, key: str) -> int | None:
    match = re.search(r'"' + re.escape(json.dumps(key)[1:-1]) + r'"\s*:', text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _fail(path: Path, text: str, key: str | None, message: str) -> FixtureError:
    line = _line_of_key(text, key) if key is not None else None
    where = f"line {line}: " if line is not None else ""
    return FixtureError(f"{path}: {where}{message}")


def load_fixture(path: Path) -> TenantSpec:
    """Read and validate one fixture file; raise :class:`FixtureError` naming file and position."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read the fixture file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
        document = json.loads(text)
    except UnicodeDecodeError:
        raise FixtureError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise FixtureError(f"{path}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(document, dict):
        raise FixtureError(
            f"{path}: the top level must be a JSON object mapping Graph paths to bodies, "
            f"not {type(document).__name__}"
        )
    meta = document.pop(RESERVED_KEY, {})
    if not isinstance(meta, dict):
        raise _fail(path, text, RESERVED_KEY, f"'{RESERVED_KEY}' must be an object")
    for name, value in meta.items():
        expected = _META_FIELDS.get(name)
        if expected is None:
            raise _fail(
                path,
                text,
                name,
                f"unknown '{RESERVED_KEY}' field {name!r} "
                f"(known: {', '.join(sorted(_META_FIELDS))})",
            )
        if not isinstance(value, expected) or (
            expected is list and not all(isinstance(v, str) for v in value)
        ):
            kind = "a list of strings" if expected is list else "a string"
            raise _fail(path, text, name, f"'{RESERVED_KEY}.{name}' must be {kind}")
    for key, body in document.items():
        problem = check_body(key, body)
        if problem is not None:
            raise _fail(path, text, key, problem)
    return spec_from_document(document, meta, raw)


def spec_from_document(data: dict[str, Any], meta: Mapping[str, Any], raw: bytes) -> TenantSpec:
    digest = hashlib.sha256(raw).hexdigest()
    organization = data.get("organization", {}).get("value") or [{}]
    tenant_id = (
        meta.get("tenantId") or organization[0].get("id") or str(uuid.uuid5(_NAMESPACE, digest))
    )
    domains = data.get("domains", {}).get("value", [])
    default_domain = next(
        (d["id"] for d in domains if d.get("isDefault")),
        domains[0]["id"] if domains else f"tenant{digest[:8]}.onmicrosoft.com",
    )
    display_name = (
        meta.get("displayName")
        or organization[0].get("displayName")
        or (default_domain.split(".")[0])
    )
    permissions = meta.get("grantedPermissions")
    licenses = meta.get("licenses")
    return TenantSpec(
        tenant_id=str(tenant_id),
        display_name=str(display_name),
        primary_domain=meta.get("primaryDomain") or default_domain,
        client_id=meta.get("clientId") or str(uuid.uuid5(_NAMESPACE, f"client:{tenant_id}")),
        client_secret=meta.get("clientSecret") or _derived_secret(digest),
        granted_permissions=frozenset(permissions) if permissions is not None else ALL_PERMISSIONS,
        licenses=frozenset(licenses) if licenses is not None else DEFAULT_LICENSES,
        profile=meta.get("profile") or "fixture",
        data=data,
    )


def _derived_secret(digest: str) -> str:
    """Looks like an Entra client secret (40 characters with a '~'), derived from the file."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
    number = int(digest, 16)
    chars = []
    for _ in range(36):
        number, index = divmod(number, len(alphabet))
        chars.append(alphabet[index])
    return "Emu8Q~" + "".join(chars)[:34]
