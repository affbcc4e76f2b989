"""Snapshots: one protected resource (a mailbox, a drive, a site, a directory) at one time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from remit.errors import IntegrityError


@dataclass(frozen=True, slots=True)
class Snapshot:
    id: str
    time: datetime
    resource: str  # e.g. "dir:/srv/exports", "mailbox:alice@contoso.com"
    tree: str  # root tree blob id (hex)
    hostname: str = ""
    username: str = ""
    tags: tuple[str, ...] = ()
    parent: str | None = None
    tenant: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    program: str = ""
    hold: str | None = None  # the legal hold's reason when one is set (holds are separate objects)

    @property
    def short_id(self) -> str:
        return self.id[:8]

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat(),
            "resource": self.resource,
            "tree": self.tree,
            "hostname": self.hostname,
            "username": self.username,
            "tags": list(self.tags),
            "parent": self.parent,
            "tenant": self.tenant,
            "summary": self.summary,
            "program": self.program,
        }

    @classmethod
    def from_json(cls, snapshot_id: str, doc: dict[str, Any]) -> Snapshot:
        try:
            return cls(
                id=snapshot_id,
                time=datetime.fromisoformat(doc["time"]),
                resource=str(doc["resource"]),
                tree=str(doc["tree"]),
                hostname=str(doc.get("hostname", "")),
                username=str(doc.get("username", "")),
                tags=tuple(doc.get("tags", ())),
                parent=doc.get("parent"),
                tenant=doc.get("tenant"),
                summary=dict(doc.get("summary", {})),
                program=str(doc.get("program", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityError(f"snapshot {snapshot_id} is malformed: {exc}") from None
