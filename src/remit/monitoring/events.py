"""Change events of a tenant: list them, and explain one with the ticket that covers it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from remit.errors import InvalidInput
from remit.store.events import EventRepository, StoredEvent, locate_event
from remit.workspace import Workspace


@dataclass(frozen=True, slots=True)
class EventList:
    tenant_name: str
    tenant_id: str
    events: list[StoredEvent]


def list_events(
    workspace: Workspace,
    tenant: str,
    *,
    unexplained: bool = False,
    since: datetime | None = None,
    limit: int | None = None,
) -> EventList:
    """A tenant's change events, newest first."""
    with workspace.session(write=False) as session:
        info = workspace.tenants(session).get(tenant)
        events = EventRepository(session, info).list(
            unexplained=unexplained, since=since, limit=limit
        )
    return EventList(info.name, info.tenant_id, events)


def explain_event(
    workspace: Workspace,
    event: str,
    ticket: str,
    *,
    by: str,
    note: str = "",
    tenant: str | None = None,
) -> tuple[str, StoredEvent, str | None]:
    """Link ``event`` (its number, or its key with ``tenant``) to ``ticket``.

    Returns the tenant's name, the event as stored now, and the ticket it had before (if any).
    """
    with workspace.session() as session:
        if event.strip().isdigit():
            number = int(event)
            owner = workspace.tenants(session).get(locate_event(session, number))
            if tenant is not None and workspace.tenants(session).get(tenant).pk != owner.pk:
                raise InvalidInput(
                    f"change event {number} belongs to tenant {owner.name}, not {tenant}"
                )
            repo = EventRepository(session, owner)
        else:
            if tenant is None:
                raise InvalidInput(
                    f"{event!r} is not an event number; give the number `remit drift events` "
                    "shows, or the event key with --tenant"
                )
            owner = workspace.tenants(session).get(tenant)
            repo = EventRepository(session, owner)
            number = repo.by_key(event.strip()).id
        before = repo.get(number).event.ticket
        stored = repo.explain(number, ticket, by=by, note=note)
    return owner.name, stored, before
