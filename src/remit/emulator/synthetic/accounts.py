"""Users as Graph returns them, their registration details and admins' authentication methods."""

from __future__ import annotations

import base64
from typing import Any

from remit.emulator.model import LICENSE_ENTRA_P1
from remit.emulator.synthetic.catalog import (
    EMAIL_METHOD_ID,
    MOBILE_PHONE_METHOD_ID,
    PASSWORD_METHOD_ID,
)
from remit.emulator.synthetic.common import Json, Person, Tenant, iso, iso_or_none
from remit.emulator.synthetic.names import AUTHENTICATOR_PHONES

# Person.methods entry -> the name userRegistrationDetails.methodsRegistered uses.
REGISTERED_NAMES: dict[str, str] = {
    "authenticator": "microsoftAuthenticatorPush",
    "phone": "mobilePhone",
    "softwareOath": "softwareOneTimePasscode",
    "fido2": "fido2",
    "windowsHello": "windowsHelloForBusiness",
    "email": "email",
}
MFA_METHODS = frozenset({"authenticator", "phone", "softwareOath", "fido2", "windowsHello"})
PASSWORDLESS_METHODS = frozenset({"fido2", "windowsHello"})


def _sign_in_activity(t: Tenant, p: Person) -> Json | None:
    if p.last_sign_in is None and p.last_non_interactive is None:
        return None
    interactive = iso_or_none(p.last_sign_in)
    interactive_id = t.id() if interactive else None
    non_interactive_id = t.id() if p.last_non_interactive else None
    # Graph: the latest successful sign-in, interactive or not (the synthetic ones all succeed).
    latest = max(
        (
            (m, i)
            for m, i in (
                (p.last_sign_in, interactive_id),
                (p.last_non_interactive, non_interactive_id),
            )
            if m
        ),
        key=lambda pair: pair[0],
    )
    return {
        "lastSignInDateTime": interactive,
        "lastSignInRequestId": interactive_id,
        "lastNonInteractiveSignInDateTime": iso_or_none(p.last_non_interactive),
        "lastNonInteractiveSignInRequestId": non_interactive_id,
        "lastSuccessfulSignInDateTime": iso(latest[0]),
        "lastSuccessfulSignInRequestId": latest[1],
    }


def _on_premises(t: Tenant, p: Person) -> dict[str, Any]:
    if not p.synced:
        return {
            "onPremisesSyncEnabled": None,
            "onPremisesImmutableId": None,
            "onPremisesLastSyncDateTime": None,
            "onPremisesSamAccountName": None,
            "onPremisesDomainName": None,
            "onPremisesUserPrincipalName": None,
            "onPremisesDistinguishedName": None,
            "onPremisesSecurityIdentifier": None,
        }
    rng = t.rng
    netbios = t.slug[:12].upper()
    sam = (p.given[:1] + p.surname).lower().replace("'", "")[:20]
    rid = rng.randrange(1100, 60000)
    return {
        "onPremisesSyncEnabled": True,
        "onPremisesImmutableId": base64.b64encode(rng.randbytes(16)).decode(),
        "onPremisesLastSyncDateTime": iso(t.random_past(0.001, 0.03)),
        "onPremisesSamAccountName": sam,
        "onPremisesDomainName": f"corp.{t.slug}.local",
        "onPremisesUserPrincipalName": p.upn,
        "onPremisesDistinguishedName": (
            f"CN={p.display},OU=Users,OU={netbios},DC=corp,DC={t.slug},DC=local"
        ),
        "onPremisesSecurityIdentifier": (f"S-1-5-21-{ensure_domain_sid(t)}-{rid}"),
    }


def ensure_domain_sid(t: Tenant) -> str:
    if not t.domain_sid:
        t.domain_sid = "-".join(str(t.rng.randrange(10**9, 4 * 10**9)) for _ in range(3))
    return t.domain_sid


def user_json(t: Tenant, p: Person) -> Json:
    licenses: list[Json] = []
    if p.licensed and p.member:
        licenses = [{"disabledPlans": [], "skuId": sku.sku_id} for sku in t.skus if sku.plans]
    body: Json = {
        "id": p.id,
        "displayName": p.display,
        "givenName": p.given,
        "surname": p.surname or None,
        "userPrincipalName": p.upn,
        "mail": p.mail,
        "mailNickname": p.upn.split("@")[0].replace("#EXT#", ""),
        "jobTitle": p.job,
        "department": p.department,
        "officeLocation": None,
        "businessPhones": [],
        "mobilePhone": None,
        "preferredLanguage": "en-US" if p.member else None,
        "userType": "Member" if p.member else "Guest",
        "accountEnabled": p.enabled,
        "createdDateTime": iso(p.created),
        "creationType": None if p.member else "Invitation",
        "externalUserState": p.external_state,
        "externalUserStateChangeDateTime": None if p.member else iso(p.created),
        "usageLocation": "US" if licenses else None,
        "assignedLicenses": licenses,
        "proxyAddresses": [f"SMTP:{p.mail}"] if p.mail and p.member else [],
        "lastPasswordChangeDateTime": iso(max(p.created, t.random_past(1, 400))),
        "passwordPolicies": None,
        **_on_premises(t, p),
        "signInActivity": _sign_in_activity(t, p),
    }
    return body


def registration_json(t: Tenant, p: Person) -> Json:
    methods = [REGISTERED_NAMES[m] for m in p.methods]
    mfa = any(m in MFA_METHODS for m in p.methods)
    sspr_enabled = LICENSE_ENTRA_P1 in t.features
    sspr_registered = any(m in ("authenticator", "phone", "email") for m in p.methods)
    if "authenticator" in p.methods:
        preferred = "push"
    elif "phone" in p.methods:
        preferred = "sms"
    elif "softwareOath" in p.methods:
        preferred = "oath"
    else:
        preferred = "none"
    system_preferred = {"push": ["push"], "sms": ["sms"], "oath": ["oath"], "none": []}[preferred]
    if "fido2" in p.methods:
        system_preferred = ["Fido2"]
    return {
        "id": p.id,
        "userPrincipalName": p.upn,
        "userDisplayName": p.display,
        "userType": "member" if p.member else "guest",
        "isAdmin": p.is_admin,
        "isSsprRegistered": sspr_registered,
        "isSsprEnabled": sspr_enabled,
        "isSsprCapable": sspr_enabled and sspr_registered,
        "isMfaRegistered": mfa,
        "isMfaCapable": mfa,
        "isPasswordlessCapable": any(m in PASSWORDLESS_METHODS for m in p.methods),
        "methodsRegistered": methods,
        "isSystemPreferredAuthenticationMethodEnabled": True,
        "systemPreferredAuthenticationMethods": system_preferred,
        "userPreferredMethodForSecondaryAuthentication": preferred,
        "lastUpdatedDateTime": iso(t.random_past(0.01, 2)),
    }


def password_method(created: str) -> Json:
    return {
        "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
        "id": PASSWORD_METHOD_ID,
        "password": None,
        "createdDateTime": created,
    }


def methods_json(t: Tenant, p: Person) -> list[Json]:
    """``users/<id>/authentication/methods``: the password plus every registered method."""
    rng = t.rng
    out = [password_method(iso(p.created))]
    for kind in p.methods:
        created = iso(max(p.created, t.random_past(10, 700)))
        if kind == "authenticator":
            out.append(
                {
                    "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
                    "id": t.id(),
                    "displayName": rng.choice(AUTHENTICATOR_PHONES),
                    "deviceTag": "SoftwareTokenActivated",
                    "phoneAppVersion": f"6.{rng.randrange(7, 9)}.{rng.randrange(1, 30)}",
                    "createdDateTime": created,
                }
            )
        elif kind == "phone":
            out.append(
                {
                    "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
                    "id": MOBILE_PHONE_METHOD_ID,
                    "phoneNumber": f"+1 {rng.randrange(201, 989)}555{rng.randrange(1000, 9999)}",
                    "phoneType": "mobile",
                    "smsSignInState": "notAllowedByPolicy",
                }
            )
        elif kind == "softwareOath":
            out.append(
                {
                    "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod",
                    "id": t.id(),
                    "secretKey": None,
                }
            )
        elif kind == "fido2":
            out.append(
                {
                    "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
                    "id": t.id(),
                    "displayName": "YubiKey 5 NFC",
                    "createdDateTime": created,
                    "aaGuid": "cb69481e-8ff7-4039-93ec-0a2729a154a8",
                    "model": "YubiKey 5 Series with NFC",
                    "attestationCertificates": [rng.randbytes(20).hex()],
                    "attestationLevel": "attested",
                }
            )
        elif kind == "windowsHello":
            out.append(
                {
                    "@odata.type": "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
                    "id": t.id(),
                    "displayName": f"{t.slug[:6].upper()}-LT{rng.randrange(1000, 9999)}",
                    "createdDateTime": created,
                    "keyStrength": "normal",
                }
            )
        elif kind == "email":
            out.append(
                {
                    "@odata.type": "#microsoft.graph.emailAuthenticationMethod",
                    "id": EMAIL_METHOD_ID,
                    "emailAddress": f"{p.given.lower()}@personal.example",
                }
            )
    return out
