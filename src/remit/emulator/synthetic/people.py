"""Who works in the tenant: staff, admins (per profile), emergency and service accounts, guests."""

from __future__ import annotations

from datetime import timedelta

from remit.emulator.synthetic import profiles as P
from remit.emulator.synthetic.catalog import GLOBAL_ADMIN, ROLES_BY_NAME
from remit.emulator.synthetic.common import Person, Tenant
from remit.emulator.synthetic.names import DEPARTMENTS, FIRST_NAMES, LAST_NAMES, PARTNER_DOMAINS

# Share of staff with at least one MFA method, and the method sets they pick from.
_MFA_RATE: dict[str, float] = {
    P.NO_CA: 0.15,
    P.SECDEFAULTS: 0.9,
    P.BP_GAPS: 0.7,
    P.WELL_RUN: 0.98,
    P.HYBRID: 0.75,
    P.GUEST_HEAVY: 0.6,
}
_METHOD_SETS: dict[str, tuple[tuple[str, ...], ...]] = {
    P.NO_CA: (("phone",), ("phone",), ("authenticator",)),
    P.SECDEFAULTS: (("authenticator",), ("authenticator", "phone")),
    P.BP_GAPS: (("authenticator",), ("authenticator", "phone"), ("phone",)),
    P.WELL_RUN: (("authenticator", "windowsHello"), ("authenticator", "phone"), ("authenticator",)),
    P.HYBRID: (("authenticator",), ("phone",), ("authenticator", "softwareOath")),
    P.GUEST_HEAVY: (("authenticator",), ("authenticator", "phone")),
}
_DEPARTMENT_NAMES = tuple(DEPARTMENTS)


def skewed(tenant: Tenant, low: int, high: int) -> int:
    """A size in [low, high], most of them near ``low`` (MSP books are mostly small tenants)."""
    return low + int((high - low) * tenant.rng.random() ** 2.2 + 0.5)


class _Namer:
    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.used: set[str] = set()

    def local(self, wanted: str) -> str:
        base = "".join(c for c in wanted.lower() if c.isalnum() or c in "._-")
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}{n}"
        self.used.add(candidate)
        return candidate

    def person(
        self,
        *,
        job: str | None = None,
        department: str | None = None,
        domain: str | None = None,
        licensed: bool = True,
        given: str | None = None,
        surname: str | None = None,
        local: str | None = None,
        days_old: tuple[float, float] | None = None,
    ) -> Person:
        t = self.tenant
        rng = t.rng
        given = given or rng.choice(FIRST_NAMES)
        surname = surname if surname is not None else rng.choice(LAST_NAMES)
        if department is None and job is None:
            department = rng.choice(_DEPARTMENT_NAMES)
            job = rng.choice(DEPARTMENTS[department])
        name = self.local(local or f"{given}.{surname}")
        upn = f"{name}@{domain or t.domain}"
        age_low, age_high = days_old or (1.0, max(2.0, (t.now - t.created).days - 1.0))
        return Person(
            id=t.id(),
            given=given,
            surname=surname,
            display=f"{given} {surname}".strip(),
            upn=upn,
            mail=upn if licensed else None,
            created=t.random_past(age_low, age_high),
            job=job,
            department=department,
            licensed=licensed,
        )


def _active(tenant: Tenant, person: Person, stale: bool = False) -> None:
    """Give a sign-in history: recent for active people, months old for stale ones."""
    if stale:
        person.last_sign_in = tenant.random_past(95, 400)
        person.last_non_interactive = tenant.random_past(95, 400)
    else:
        person.last_sign_in = tenant.random_past(0.01, 6)
        person.last_non_interactive = tenant.random_past(0.001, 1)


def build_people(tenant: Tenant, profile: P.Profile) -> None:
    """Fill ``tenant.people`` with the profile's special accounts, staff and guests."""
    namer = _Namer(tenant)
    rng = tenant.rng
    tenant.created = tenant.random_past(365, 8 * 365)
    members = skewed(tenant, *profile.users)
    _ADMINS[profile.name](tenant, namer)
    age = (tenant.now - tenant.created).days
    for special in tenant.people:  # admin and service accounts date from the tenant's early days
        if special.member:
            special.created = tenant.random_past(age * 0.6, age - 1)
    staff_needed = max(0, members - len(tenant.people))
    rate = _MFA_RATE[profile.name]
    sets = _METHOD_SETS[profile.name]
    for _ in range(staff_needed):
        p = namer.person()
        roll = rng.random()
        if roll < 0.03 and members >= 15:
            p.enabled = False  # a leaver nobody removed
            _active(tenant, p, stale=True)
        elif roll < 0.08:
            _active(tenant, p, stale=True)
        elif roll < 0.10:
            pass  # never signed in
        else:
            _active(tenant, p)
        if rng.random() < rate:
            p.methods = list(rng.choice(sets))
        if profile.name == P.WELL_RUN and p.enabled and p.last_sign_in and not p.methods:
            # CA requires MFA for every user, so Entra made them register at their first sign-in.
            p.methods = list(sets[-1])
        if profile.name == P.HYBRID and rng.random() < 0.95:
            p.synced = True
        tenant.people.append(p)
    for _ in range(skewed(tenant, *profile.guests)):
        tenant.people.append(_guest(tenant, namer))


def _guest(tenant: Tenant, namer: _Namer) -> Person:
    rng = tenant.rng
    given, surname = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    home = rng.choice(PARTNER_DOMAINS)
    local = namer.local(f"{given}.{surname}_{home}")
    accepted = rng.random() < 0.75
    p = Person(
        id=tenant.id(),
        given=given,
        surname=surname,
        display=f"{given} {surname} ({home.split('.')[0]})",
        upn=f"{local}#EXT#@{tenant.initial_domain}",
        mail=f"{given}.{surname}@{home}".lower().replace("'", ""),
        created=tenant.random_past(1, 900),
        member=False,
        licensed=False,
        external_state="Accepted" if accepted else "PendingAcceptance",
    )
    if accepted:
        _active(tenant, p, stale=rng.random() < 0.4)
    return p


def _msp_account(tenant: Tenant, namer: _Namer, methods: list[str]) -> Person:
    p = namer.person(
        given="IT Support",
        surname="(MSP)",
        local="itsupport",
        domain=tenant.initial_domain,
        job="Managed Service Provider",
        department="IT",
        licensed=False,
    )
    p.display = "IT Support (MSP)"
    p.active_roles.append(GLOBAL_ADMIN)
    p.methods = methods
    p.tags.add("msp")
    _active(tenant, p)
    return p


def _admins_no_ca(tenant: Tenant, namer: _Namer) -> None:
    owner = namer.person(job="Owner", department="Management")
    owner.methods = ["phone"]
    manager = namer.person(job="Office Manager", department="Operations")
    shared = namer.person(
        given="Admin", surname="", local="admin", licensed=False, job=None, department=None
    )
    shared.display = "Admin"
    shared.job = shared.department = None
    shared.tags.add("shared")
    contractor = namer.person(job="IT Consultant", department="IT", licensed=False)
    msp = _msp_account(tenant, namer, ["authenticator"])
    for p in (owner, manager, shared, contractor):
        p.active_roles.append(GLOBAL_ADMIN)
    _active(tenant, owner)
    _active(tenant, manager)
    _active(tenant, shared, stale=True)
    _active(tenant, contractor, stale=True)
    tenant.people += [owner, manager, shared, contractor, msp]


def _admins_secdefaults(tenant: Tenant, namer: _Namer) -> None:
    owner = namer.person(job="Owner", department="Management")
    owner.methods = ["authenticator"]
    owner.active_roles.append(GLOBAL_ADMIN)
    _active(tenant, owner)
    people = [owner, _msp_account(tenant, namer, ["authenticator"])]
    if tenant.rng.random() < 0.5:
        manager = namer.person(job="Office Manager", department="Operations")
        manager.methods = ["authenticator", "phone"]
        manager.active_roles.append(GLOBAL_ADMIN)
        _active(tenant, manager)
        people.append(manager)
    tenant.people += people


def _role(name: str) -> str:
    return ROLES_BY_NAME[name].template_id


def _admins_bp_gaps(tenant: Tenant, namer: _Namer) -> None:
    msp = _msp_account(tenant, namer, ["authenticator"])
    it = namer.person(job="IT Manager", department="IT")
    it.methods = ["authenticator", "phone"]
    it.active_roles += [GLOBAL_ADMIN, _role("Exchange Administrator")]
    ceo = namer.person(job="Chief Executive Officer", department="Management")
    ceo.active_roles.append(GLOBAL_ADMIN)  # a daily driver with no MFA method at all
    finance = namer.person(job="Finance Director", department="Finance")
    finance.active_roles.append(_role("Billing Administrator"))
    helpdesk = namer.person(job="Service Desk Analyst", department="IT")
    helpdesk.active_roles.append(_role("User Administrator"))
    helpdesk.methods = ["phone"]
    for p in (it, ceo, finance, helpdesk):
        _active(tenant, p)
    tenant.people += [msp, it, ceo, finance, helpdesk]


def _admins_well_run(tenant: Tenant, namer: _Namer) -> None:
    for n in (1, 2):
        ea = namer.person(
            given="Emergency",
            surname=f"Access {n:02d}",
            local=f"ea{n:02d}",
            domain=tenant.initial_domain,
            licensed=False,
            job=None,
            department=None,
        )
        ea.job = ea.department = None
        ea.emergency = True
        ea.methods = ["fido2"]
        ea.active_roles.append(GLOBAL_ADMIN)
        ea.last_sign_in = tenant.random_past(20, 80)  # tested every quarter
        ea.tags.add("emergency")
        tenant.people.append(ea)
    plan = [
        [GLOBAL_ADMIN, _role("Privileged Role Administrator")],
        [GLOBAL_ADMIN, _role("Security Administrator")],
        [_role("User Administrator"), _role("Authentication Administrator")],
        [_role("Exchange Administrator"), _role("SharePoint Administrator")],
        [_role("Intune Administrator"), _role("Conditional Access Administrator")],
        [_role("Application Administrator")],
    ]
    for roles in plan:
        staff = namer.person(department="IT", job="Systems Administrator")
        admin = namer.person(
            given=staff.given,
            surname=staff.surname,
            local=f"adm.{staff.given}.{staff.surname}",
            domain=tenant.initial_domain,
            licensed=False,
            job="Admin account",
            department="IT",
        )
        admin.display = f"ADM {staff.given} {staff.surname}"
        admin.eligible_roles += roles
        admin.methods = ["fido2", "windowsHello", "authenticator"]
        admin.tags.add("cloud-admin")
        staff.methods = ["authenticator", "windowsHello"]
        _active(tenant, staff)
        _active(tenant, admin)
        tenant.people += [staff, admin]


def _admins_hybrid(tenant: Tenant, namer: _Namer) -> None:
    suffix = "".join(tenant.rng.choice("0123456789abcdef") for _ in range(12))
    sync = namer.person(
        given="On-Premises Directory Synchronization Service Account",
        surname="",
        local=f"Sync_DC01_{suffix}",
        domain=tenant.initial_domain,
        licensed=False,
        job=None,
        department=None,
    )
    sync.display = "On-Premises Directory Synchronization Service Account"
    sync.job = sync.department = None
    sync.active_roles.append(_role("Directory Synchronization Accounts"))
    # Entra Connect signs in with this account at every sync cycle (every 30 minutes): both
    # sign-ins are within the last hour.
    sync.last_non_interactive = tenant.random_past(0.001, 0.02)
    sync.last_sign_in = sync.last_non_interactive - timedelta(minutes=30)
    sync.tags.add("sync")
    synced_admin = namer.person(job="IT Manager", department="IT")
    synced_admin.synced = True  # a synced global admin: the classic hybrid finding
    synced_admin.methods = ["authenticator"]
    synced_admin.active_roles.append(GLOBAL_ADMIN)
    sysadmin = namer.person(job="Systems Administrator", department="IT")
    sysadmin.synced = True
    sysadmin.methods = ["phone"]
    sysadmin.active_roles.append(_role("Hybrid Identity Administrator"))
    helpdesk = [namer.person(job="Service Desk Analyst", department="IT") for _ in range(2)]
    for h in helpdesk:
        h.synced = True
        h.methods = ["authenticator"]
        h.active_roles.append(_role("Helpdesk Administrator"))
    msp = _msp_account(tenant, namer, ["authenticator", "phone"])
    for p in (synced_admin, sysadmin, *helpdesk):
        _active(tenant, p)
    tenant.people += [sync, synced_admin, sysadmin, *helpdesk, msp]


def _admins_guest_heavy(tenant: Tenant, namer: _Namer) -> None:
    founder = namer.person(job="Founder", department="Management")
    founder.methods = ["authenticator"]
    founder.active_roles.append(GLOBAL_ADMIN)
    _active(tenant, founder)
    msp = _msp_account(tenant, namer, ["authenticator"])
    developer = _guest(tenant, namer)
    developer.external_state = "Accepted"
    developer.active_roles.append(_role("Application Administrator"))
    developer.tags.add("privileged-guest")
    _active(tenant, developer)
    tenant.people += [founder, msp, developer]


_ADMINS = {
    P.NO_CA: _admins_no_ca,
    P.SECDEFAULTS: _admins_secdefaults,
    P.BP_GAPS: _admins_bp_gaps,
    P.WELL_RUN: _admins_well_run,
    P.HYBRID: _admins_hybrid,
    P.GUEST_HEAVY: _admins_guest_heavy,
}
