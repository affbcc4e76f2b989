"""``auditLogs/directoryAudits`` events, shared by the synthetic history and the scenarios."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from remit.emulator.synthetic.common import Json, iso

_BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0"
)


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    upn: str
    display: str | None = None
    ip: str = "198.51.100.24"


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    display: str | None
    type: str  # "User", "Role", "Policy", "Group", "Application", "Other"
    upn: str | None = None
    changes: tuple[tuple[str, Any, Any], ...] = ()  # (property, old value, new value)


def _quoted(value: Any) -> str | None:
    """Audit logs carry old/new values as JSON text (``"\\"Global Administrator\\""``)."""
    if value is None:
        return None
    return json.dumps(value)


def audit_event(
    new_id: Callable[[], str],
    when: datetime,
    *,
    activity: str,
    category: str,
    service: str,
    operation: str,
    actor: Actor,
    targets: Sequence[Target],
    result: str = "success",
) -> Json:
    return {
        "id": f"Directory_{new_id()}",
        "category": category,
        "correlationId": new_id(),
        "result": result,
        "resultReason": "",
        "activityDisplayName": activity,
        "activityDateTime": iso(when),
        "loggedByService": service,
        "operationType": operation,
        "initiatedBy": {
            "app": None,
            "user": {
                "id": actor.id,
                "displayName": actor.display,
                "userPrincipalName": actor.upn,
                "ipAddress": actor.ip,
            },
        },
        "targetResources": [
            {
                "id": target.id,
                "displayName": target.display,
                "type": target.type,
                "userPrincipalName": target.upn,
                "groupType": None,
                "modifiedProperties": [
                    {"displayName": name, "oldValue": _quoted(old), "newValue": _quoted(new)}
                    for name, old, new in target.changes
                ],
            }
            for target in targets
        ],
        "additionalDetails": [{"key": "User-Agent", "value": _BROWSER}],
    }


def add_event(data: dict[str, Any], event: Json) -> None:
    """Insert an event into ``auditLogs/directoryAudits``, keeping newest first."""
    body = data.setdefault("auditLogs/directoryAudits", {"value": []})
    events: list[Json] = body.setdefault("value", [])
    events.insert(0, event)
    events.sort(key=lambda e: str(e.get("activityDateTime", "")), reverse=True)
