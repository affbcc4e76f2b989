"""Synthetic tenants that look like an MSP's real book of business.

Tenant ``index`` of book ``seed`` is fully determined by ``(index, seed)`` (and ``now``, which
defaults to the fixed ``REFERENCE_NOW``, 2026-11-01T00:00:00Z): every random draw comes from
``random.Random(f"{seed}:{index}")`` (or from one seeded with the tenant id drawn from it, for
data added later: ``Tenant.side_rng``), never from ``hash()``, so the JSON is byte-identical
across runs and Python hash seeds. ``tenant_header`` draws only the first few values (ids, name,
credentials, licences), so a server can list 1,000 tenants instantly and build data lazily with
``generate_tenant``; both agree on every header field.

Profiles, by ``index % 8`` (``PROFILE_CYCLE``; half the book is small offices):

- slots 0 and 4, ``small-office-no-ca``: 5-25 users on Business Basic/Standard, no Entra P1,
  security defaults off, no CA; five global admins (the owner and the office manager are
  daily-driver accounts with mailboxes, a shared ``admin@`` account and an ex-contractor are
  stale, plus the MSP's account); weak MFA registration; users may consent to apps; anyone may
  invite guests and guests have member-level access.
- slots 2 and 6, ``small-office-secdefaults``: 6-40 users on Business Standard, security
  defaults on, no CA, 2-3 global admins with Authenticator, high MFA registration.
- slot 1, ``business-premium-gaps``: 25-150 users on Business Premium (P1 + Intune). CA with
  gaps: MFA for all users excludes a large "MFA Exclusions" group, the admin MFA policy is
  report-only, the legacy-auth block is disabled; a global admin (the CEO) and the billing admin
  have no MFA method; an app secret expires in 10 days and another has expired; about 30% of
  devices are non-compliant or unencrypted.
- slot 3, ``well-run-pim``: 100-800 users on Microsoft 365 E5 (P2 + Intune). Two cloud-only,
  unlicensed emergency-access accounts (permanent Global Administrator, FIDO2, excluded from
  every CA policy); separate ``adm.`` admin accounts hold PIM *eligible* roles; Global and
  Privileged Role Administrator activation needs approval by the "PIM Approvers - Tier 0" group;
  assignment and activation alerts go to ``secops@``; CA requires phishing-resistant MFA for the
  privileged roles and MFA for everyone (so every member who signed in has registered), blocks
  legacy auth, high sign-in and user risk, the device code flow and other countries, and allows
  registering security info only from a compliant or hybrid-joined device; SMS, voice and Email
  OTP are off; the app management policy blocks new client secrets and caps secret (180 days)
  and certificate (365 days) lifetimes; every device compliant and encrypted, hardly any stale;
  a Secure Score of 74-84 %, steady.
- slot 5, ``mid-size-hybrid``: 150-500 users synced from on-premises AD (``onPremisesSyncEnabled``
  for about 95%, each with its ``onPremisesImmutableId`` anchor) on Office 365 E3 + Entra ID P1
  (no Intune), a *synced* Global Administrator, the Entra Connect sync account (signed in within
  the last hour), some CA (admin MFA and legacy block on, all-user MFA report-only).
- slot 7, ``guest-heavy-agency``: 20-80 users on Microsoft 365 E3 with 40-200 guests; anyone may
  invite; one guest holds Application Administrator.

Everywhere: Secure Score's maximum follows the licences (about 200 points for Business
Basic/Standard, 340 for Business Premium, 400 for E5) and its 30 daily scores follow the profile
(small offices without CA flat below 40 %, those with security defaults sliding by 6-9 points,
business premium climbing slowly); the registration report lists guests too (``userType``
``guest``); ``policies/defaultAppManagementPolicy`` is Microsoft's default (off) except in the
well-run tenant (business premium and hybrid drafted a secret lifetime limit and left it off).

Permissions: every tenant grants ``DEFAULT_PERMISSIONS`` (everything Remit needs) except every
7th tenant (``index % 7 == 6``), which lacks ``AuditLog.Read.All`` so the product's
missing-permission path (sign-in activity, registration details, directory audits) shows up in
every demo. Licence features (``TenantSpec.licenses``) are exactly the ``AAD_PREMIUM``,
``AAD_PREMIUM_P2`` and ``INTUNE_A`` service plans of the tenant's subscribed SKUs; tenants without
Intune have no ``deviceManagement/managedDevices`` key, tenants without P2 no PIM keys, tenants
without P1 empty CA collections (the server decides what to refuse for missing licences).
"""

from __future__ import annotations

from remit.emulator.synthetic.builder import generate_tenant, generate_tenants, tenant_header
from remit.emulator.synthetic.catalog import PRODUCT_PERMISSIONS
from remit.emulator.synthetic.common import REFERENCE_NOW
from remit.emulator.synthetic.profiles import (
    DEFAULT_PERMISSIONS,
    MISSING_PERMISSION,
    MISSING_PERMISSION_EVERY,
    PROFILE_CYCLE,
    PROFILES,
    Profile,
)

__all__ = [
    "DEFAULT_PERMISSIONS",
    "MISSING_PERMISSION",
    "MISSING_PERMISSION_EVERY",
    "PRODUCT_PERMISSIONS",
    "PROFILES",
    "PROFILE_CYCLE",
    "REFERENCE_NOW",
    "Profile",
    "generate_tenant",
    "generate_tenants",
    "tenant_header",
]
