"""The kinds of tenant in an MSP's book, and the cheap part of a tenant (its header)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from remit.emulator.model import TenantSpec
from remit.emulator.synthetic.catalog import PRODUCT_PERMISSIONS, SKUS, Sku
from remit.emulator.synthetic.common import Tenant, client_secret, new_id
from remit.emulator.synthetic.names import PLACES, SUFFIXES, TRADES

NO_CA = "small-office-no-ca"
SECDEFAULTS = "small-office-secdefaults"
BP_GAPS = "business-premium-gaps"
WELL_RUN = "well-run-pim"
HYBRID = "mid-size-hybrid"
GUEST_HEAVY = "guest-heavy-agency"


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    summary: str
    users: tuple[int, int]  # member users, inclusive range (skewed towards the low end)
    guests: tuple[int, int]
    sku_options: tuple[tuple[str, ...], ...]  # one option is drawn; the first SKU is the main one


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            NO_CA,
            "5-25 users on Business Basic/Standard, no Entra P1, security defaults off, no CA, "
            "five global admins, weak MFA registration, legacy auth and user consent open",
            (5, 25),
            (0, 4),
            (
                ("O365_BUSINESS_ESSENTIALS",),
                ("O365_BUSINESS_PREMIUM",),
                ("O365_BUSINESS_PREMIUM", "EXCHANGESTANDARD"),
            ),
        ),
        Profile(
            SECDEFAULTS,
            "6-40 users on Business Standard, security defaults on, no CA, 2-3 global admins",
            (6, 40),
            (0, 6),
            (("O365_BUSINESS_PREMIUM",), ("O365_BUSINESS_PREMIUM", "FLOW_FREE")),
        ),
        Profile(
            BP_GAPS,
            "25-150 users on Business Premium (P1 + Intune); CA exists with gaps, admins without "
            "MFA, an app secret expiring in 10 days, non-compliant and unencrypted devices",
            (25, 150),
            (2, 15),
            (("SPB",), ("SPB", "FLOW_FREE")),
        ),
        Profile(
            WELL_RUN,
            "100-800 users on Microsoft 365 E5 (P2 + Intune); PIM with approval, phishing-"
            "resistant MFA for admins, legacy auth blocked, 2 emergency accounts, compliant "
            "devices",
            (100, 800),
            (5, 40),
            (("SPE_E5",), ("SPE_E5", "FLOW_FREE")),
        ),
        Profile(
            HYBRID,
            "150-500 users synced from on-premises AD on Office 365 E3 + Entra ID P1, a synced "
            "global admin, some CA",
            (150, 500),
            (3, 25),
            (("ENTERPRISEPACK", "AAD_PREMIUM"),),
        ),
        Profile(
            GUEST_HEAVY,
            "20-80 users on Microsoft 365 E3 with many guests, one guest holding a privileged role",
            (20, 80),
            (40, 200),
            (("SPE_E3",), ("SPE_E3", "FLOW_FREE")),
        ),
    )
}

# Profile of tenant ``index`` is PROFILE_CYCLE[index % 8]: half the book is small offices.
PROFILE_CYCLE: tuple[str, ...] = (
    NO_CA,
    BP_GAPS,
    SECDEFAULTS,
    WELL_RUN,
    NO_CA,
    HYBRID,
    SECDEFAULTS,
    GUEST_HEAVY,
)

# Every MISSING_PERMISSION_EVERY-th tenant (index % 7 == 6) was consented without this
# permission, so the product's missing-permission path shows up in every demo book.
MISSING_PERMISSION = "AuditLog.Read.All"
MISSING_PERMISSION_EVERY = 7
DEFAULT_PERMISSIONS: frozenset[str] = frozenset(PRODUCT_PERMISSIONS)


def profile_for(index: int) -> Profile:
    return PROFILES[PROFILE_CYCLE[index % len(PROFILE_CYCLE)]]


def permissions_for(index: int) -> frozenset[str]:
    if index % MISSING_PERMISSION_EVERY == MISSING_PERMISSION_EVERY - 1:
        return DEFAULT_PERMISSIONS - {MISSING_PERMISSION}
    return DEFAULT_PERMISSIONS


@lru_cache(maxsize=64)
def _places(seed: int) -> tuple[str, ...]:
    shuffled = list(PLACES)
    random.Random(f"{seed}:places").shuffle(shuffled)
    return tuple(shuffled)


def start_tenant(index: int, seed: int, now: datetime) -> tuple[Tenant, TenantSpec]:
    """Draw the header of tenant ``index`` (cheap), and the builder state to continue with."""
    if index < 0:
        raise ValueError(f"tenant index must be >= 0, got {index}")
    rng = random.Random(f"{seed}:{index}")
    profile = profile_for(index)
    places = _places(seed)
    place = places[index % len(places)]
    cycle = index // len(places)
    trade = rng.choice(TRADES[profile.name])
    suffix = rng.choice(SUFFIXES)
    name = " ".join(part for part in (place, trade, suffix) if part)
    if cycle:
        name = f"{name} ({cycle + 1})"
    slug = f"{place}{trade}".lower() + (str(cycle + 1) if cycle else "")
    tld = rng.choice((".com", ".com", ".com", ".co.uk", ".net", ".org"))
    tenant_id = new_id(rng)
    client_id = new_id(rng)
    secret = client_secret(rng)
    skus: list[Sku] = [SKUS[part] for part in rng.choice(profile.sku_options)]
    features = frozenset().union(*(sku.features for sku in skus))
    tenant = Tenant(
        rng=rng,
        now=now,
        profile=profile.name,
        tenant_id=tenant_id,
        name=name,
        slug=slug,
        domain=f"{slug}{tld}",
        initial_domain=f"{slug}.onmicrosoft.com",
        client_id=client_id,
        client_secret=secret,
        skus=skus,
        features=features,
    )
    spec = TenantSpec(
        tenant_id=tenant_id,
        display_name=name,
        primary_domain=tenant.domain,
        client_id=client_id,
        client_secret=secret,
        granted_permissions=permissions_for(index),
        licenses=features,
        profile=profile.name,
    )
    return tenant, spec
