"""How an alert reads, whatever carries it: the webhook JSON document, subject lines, plain text.

The webhook document (version 1) is documented in ``docs/guide/alerts.md``; fields are added
over time but never renamed or removed within a version.
"""

from __future__ import annotations

import json
from typing import Any

from remit.alerts.channels.base import Outgoing
from remit.domain import Alert, Severity

DOCUMENT_TYPE = "remit.alert"
DOCUMENT_VERSION = 1


def tenant_label(alert: Alert) -> str:
    return alert.tenant_name or alert.tenant_id or "no tenant"


def alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "kind": alert.kind,
        "severity": Severity(alert.severity).value,
        "title": alert.title,
        "text": alert.text,
        "dedupe_key": alert.dedupe_key,
        "occurred_at": alert.occurred_at.isoformat(),
        "data": json_ready(alert.data),
    }


def document(message: Outgoing, *, timestamp: int) -> dict[str, Any]:
    """The webhook body: the alert, its tenant, the delivery id (stable across retries)."""
    alert = message.alert
    return {
        "type": DOCUMENT_TYPE,
        "version": DOCUMENT_VERSION,
        "delivery_id": message.delivery_id,
        "attempt": message.attempt,
        "test": message.test,
        "timestamp": timestamp,
        "tenant": {"id": alert.tenant_id, "name": alert.tenant_name},
        "alert": alert_json(alert),
    }


def subject(alert: Alert, *, test: bool = False) -> str:
    prefix = "[Remit test]" if test else "[Remit]"
    return f"{prefix} {Severity(alert.severity).value.upper()} {tenant_label(alert)}: {alert.title}"


def facts(message: Outgoing) -> list[tuple[str, str]]:
    """The lines every human-readable rendering shows under the text."""
    alert = message.alert
    tenant = f"{alert.tenant_name} ({alert.tenant_id})" if alert.tenant_id else tenant_label(alert)
    return [
        ("Tenant", tenant),
        ("Severity", Severity(alert.severity).value),
        ("Kind", alert.kind),
        ("Occurred", alert.occurred_at.isoformat(timespec="seconds")),
        ("Delivery", message.delivery_id),
    ]


def plain_text(message: Outgoing) -> str:
    """The body of an e-mail or a PSA ticket: the text, the facts, the machine-readable data."""
    lines = [message.alert.text.rstrip(), ""]
    lines += [f"{name}: {value}" for name, value in facts(message)]
    if message.alert.data:
        lines += ["", "Details:", json.dumps(json_ready(message.alert.data), indent=2)]
    if message.test:
        lines += ["", "This is a test alert sent by `remit alerts channels test`."]
    return "\n".join(lines) + "\n"


def json_ready(value: Any) -> Any:
    """``value`` as plain JSON types (datetimes and other objects become strings)."""
    return json.loads(json.dumps(value, default=str))


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
