"""Shared state and small helpers for building one synthetic tenant."""

from __future__ import annotations

import base64
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from remit.emulator.synthetic.catalog import Sku

# The fixed "now" synthetic data is relative to, so a (index, seed) pair always gives the same
# bytes. The server may pass the real time instead.
REFERENCE_NOW = datetime(2026, 11, 1, tzinfo=UTC)

Json = dict[str, Any]

_SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~"


_UUID_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_V4 = (0x4000 << 64) | (0x8000 << 48)


def new_id(rng: random.Random) -> str:
    """A random (version 4) UUID drawn from the seeded generator."""
    h = f"{(rng.getrandbits(128) & _UUID_MASK) | _UUID_V4:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def client_secret(rng: random.Random) -> str:
    """40 characters shaped like an Entra client secret value (``xyz8Q~...``)."""
    head = "".join(rng.choice(_SECRET_ALPHABET[:62]) for _ in range(3))
    tail = "".join(rng.choice(_SECRET_ALPHABET) for _ in range(34))
    return f"{head}8Q~{tail}"


def iso(moment: datetime) -> str:
    """Graph's timestamp form: UTC, whole seconds, with a ``Z``."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def role_assignment_id(role_template_id: str, principal_id: str) -> str:
    """The id Graph gives a directory role assignment (base64url role + principal + ``-1``)."""

    def part(value: str) -> str:
        raw = base64.urlsafe_b64encode(uuid.UUID(value).bytes_le).decode()
        return raw.rstrip("=")

    return f"{part(role_template_id)}{part(principal_id)}-1"


def security_identifier(object_id: str) -> str:
    """The ``S-1-12-1-...`` SID Entra derives from a cloud object's id."""
    raw = uuid.UUID(object_id).bytes_le
    parts = [int.from_bytes(raw[i : i + 4], "little") for i in range(0, 16, 4)]
    return "S-1-12-1-" + "-".join(str(p) for p in parts)


@dataclass
class Person:
    """One user account before it becomes Graph JSON."""

    id: str
    given: str
    surname: str
    display: str
    upn: str
    mail: str | None
    created: datetime
    member: bool = True
    job: str | None = None
    department: str | None = None
    enabled: bool = True
    synced: bool = False
    licensed: bool = True
    last_sign_in: datetime | None = None
    last_non_interactive: datetime | None = None
    # Authentication methods registered: "authenticator", "phone", "softwareOath", "fido2",
    # "windowsHello", "email".
    methods: list[str] = field(default_factory=list)
    active_roles: list[str] = field(default_factory=list)  # role template ids
    eligible_roles: list[str] = field(default_factory=list)
    emergency: bool = False
    external_state: str | None = None  # guests: "Accepted" / "PendingAcceptance"
    tags: set[str] = field(default_factory=set)

    @property
    def is_admin(self) -> bool:
        return bool(self.active_roles or self.eligible_roles)


@dataclass
class Tenant:
    """Everything decided about a tenant while it is being built."""

    rng: random.Random
    now: datetime
    profile: str
    tenant_id: str
    name: str
    slug: str
    domain: str  # the default (custom) domain, used in UPNs
    initial_domain: str  # <slug>.onmicrosoft.com
    client_id: str
    client_secret: str
    skus: list[Sku] = field(default_factory=list)
    features: frozenset[str] = frozenset()
    created: datetime = REFERENCE_NOW
    people: list[Person] = field(default_factory=list)
    groups: list[Json] = field(default_factory=list)
    group_members: dict[str, list[str]] = field(default_factory=dict)  # group id -> object ids
    special_groups: dict[str, str] = field(default_factory=dict)  # purpose -> group id
    domain_sid: str = ""  # on-premises AD domain SID (hybrid tenants)
    data: dict[str, Any] = field(default_factory=dict)

    def ago(self, days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
        return self.now - timedelta(days=days, hours=hours, minutes=minutes)

    def random_past(self, low_days: float, high_days: float) -> datetime:
        """A whole second between ``high_days`` and ``low_days`` ago (negative: the future)."""
        return self.now - timedelta(seconds=int(self.rng.uniform(low_days, high_days) * 86400))

    def id(self) -> str:
        return new_id(self.rng)

    def side_rng(self, purpose: str) -> random.Random:
        """A generator of its own for ``purpose``, seeded from the tenant id: data added to a
        tenant with it leaves every draw of the main generator (and so the rest of the tenant)
        as it was."""
        return random.Random(f"{self.tenant_id}:{purpose}")

    @property
    def members(self) -> list[Person]:
        return [p for p in self.people if p.member]

    @property
    def guests(self) -> list[Person]:
        return [p for p in self.people if not p.member]

    def person(self, person_id: str) -> Person:
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(person_id)


def user_ref(person: Person) -> Json:
    """A user as a ``directoryObject`` in a members list (Graph's default user properties)."""
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": person.id,
        "businessPhones": [],
        "displayName": person.display,
        "givenName": person.given,
        "jobTitle": person.job,
        "mail": person.mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": person.surname,
        "userPrincipalName": person.upn,
    }
