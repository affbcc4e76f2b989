"""MSP hygiene checks on what the tenant owns: Secure Score and its trend, Intune devices
(compliance, encryption, check-in), licences bought but not assigned, and app credentials
near expiry.

Thresholds are constants here and explained in each check's rationale
(``catalog/checks/estate.yaml``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from remit.posture.checks.hygiene_common import name_list, plural
from remit.posture.data import TenantData
from remit.posture.engine import CheckFn
from remit.posture.model import Outcome, Resource, Status
from remit.posture.views import parse_time

SECURE_SCORES = "security/secureScores"
DEVICES = "deviceManagement/managedDevices"
APPLICATIONS = "applications"
SERVICE_PRINCIPALS = "servicePrincipals"

SCORE_FAIL_BELOW = 40.0  # % of the maximum score
SCORE_DROP_WARN = 5.0  # percentage points lost between the oldest and newest score collected

DEVICE_FAIL_SHARE = 10.0  # % of managed devices; any device at all is a WARN
DEVICE_STALE = timedelta(days=30)
NON_COMPLIANT_STATES = frozenset({"noncompliant", "error", "conflict"})
GRACE_STATE = "inGracePeriod"

CREDENTIAL_WARN = timedelta(days=30)

# Free, trial and self-service ("viral") SKUs: nobody paid for their spare units.
FREE_SKUS = frozenset(
    {
        "FLOW_FREE",
        "POWER_BI_STANDARD",
        "POWER_BI_INDIVIDUAL_USER",
        "POWERAPPS_VIRAL",
        "POWERAPPS_DEV",
        "CCIBOTS_PRIVPREV_VIRAL",
        "TEAMS_EXPLORATORY",
        "TEAMS_FREE",
        "STREAM",
        "WINDOWS_STORE",
        "RIGHTSMANAGEMENT_ADHOC",
        "MICROSOFT_BUSINESS_CENTER",
        "DEVELOPERPACK",
        "DEVELOPERPACK_E5",
        "FORMS_PRO",
        "SPZA_IW",
    }
)
FREE_MARKERS = ("TRIAL", "VIRAL", "FREE")  # e.g. *_TRIAL, *_VIRAL, *_FREE part numbers


def _percent(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


# --- Secure Score ------------------------------------------------------------------------------


def _score_share(score: dict[str, Any]) -> float:
    return 100 * float(score.get("currentScore") or 0) / float(score["maxScore"])


def _tenant(data: TenantData, tenant_id: str) -> Resource:
    orgs = data.optional_collection("organization") or []
    name = str(orgs[0].get("displayName") or "") if orgs else ""
    return Resource("tenant", tenant_id, name)


def secure_score(data: TenantData) -> Outcome:
    scores = [
        s
        for s in data.collection(SECURE_SCORES)
        if parse_time(s.get("createdDateTime")) and float(s.get("maxScore") or 0) > 0
    ]
    if not scores:
        return Outcome(
            Status.NOT_APPLICABLE,
            "Microsoft has not computed a Secure Score for this tenant yet (new tenants get "
            "their first one within a day or two).",
        )
    scores.sort(key=lambda s: parse_time(s["createdDateTime"]) or datetime.min, reverse=True)
    newest, oldest = scores[0], scores[-1]
    share = _score_share(newest)
    change = share - _score_share(oldest)
    resource = (_tenant(data, str(newest.get("azureTenantId") or "")),)
    details = (
        f"Secure Score is {float(newest.get('currentScore') or 0):.0f} of "
        f"{float(newest['maxScore']):.0f} points ({share:.0f}%) on "
        f"{str(newest['createdDateTime'])[:10]}"
    )
    if len(scores) > 1:
        details += (
            f"; it was {_score_share(oldest):.0f}% on {str(oldest['createdDateTime'])[:10]} "
            f"({change:+.0f} percentage points)"
        )
    if share < SCORE_FAIL_BELOW:
        return Outcome(Status.FAIL, f"{details}, below {SCORE_FAIL_BELOW:.0f}%.", resource)
    if change < -SCORE_DROP_WARN:
        return Outcome(
            Status.WARN,
            f"{details}: it fell by more than {SCORE_DROP_WARN:.0f} percentage points.",
            resource,
        )
    return Outcome(Status.PASS, f"{details}.", resource)


# --- Intune devices ----------------------------------------------------------------------------


def _device(device: dict[str, Any]) -> Resource:
    return Resource("device", str(device.get("id")), str(device.get("deviceName") or ""))


def _label(device: dict[str, Any]) -> str:
    owner = device.get("userPrincipalName")
    name = str(device.get("deviceName") or device.get("id"))
    return f"{name} ({owner})" if owner else name


@dataclass(frozen=True, slots=True)
class _DeviceRule:
    bad: str  # "are not compliant"
    good: str  # "are compliant"
    test: Callable[[dict[str, Any], datetime], bool]
    describe: Callable[[dict[str, Any]], str] = _label
    grace: Callable[[dict[str, Any]], bool] | None = None  # worth a look, never a FAIL
    grace_text: str = ""


def _device_check(data: TenantData, rule: _DeviceRule) -> Outcome:
    devices = data.collection(DEVICES)
    if not devices:
        return Outcome(Status.NOT_APPLICABLE, "No device is enrolled in Intune.")
    bad = [d for d in devices if rule.test(d, data.now)]
    flagged = {id(d) for d in bad}
    grace = [d for d in devices if rule.grace and rule.grace(d) and id(d) not in flagged]
    total = len(devices)
    share = _percent(len(bad), total)
    parts: list[str] = []
    if bad:
        parts.append(
            f"{len(bad)} of {plural(total, 'managed device')} ({share:.0f}%) {rule.bad}: "
            f"{name_list(sorted(rule.describe(d) for d in bad))}."
        )
    if grace:
        parts.append(
            f"{plural(len(grace), 'device')} {rule.grace_text}: "
            f"{name_list(sorted(_label(d) for d in grace))}."
        )
    resources = tuple(sorted((_device(d) for d in bad + grace), key=lambda r: r.name))
    if not parts:
        return Outcome(Status.PASS, f"All {plural(total, 'managed device')} {rule.good}.")
    status = Status.FAIL if share >= DEVICE_FAIL_SHARE else Status.WARN
    return Outcome(status, " ".join(parts), resources)


def _last_sync(device: dict[str, Any]) -> datetime | None:
    """Intune writes 0001-01-01T00:00:00Z for a device that never checked in."""
    last = parse_time(device.get("lastSyncDateTime"))
    return last if last is not None and last.year > 1 else None


def _stale_label(device: dict[str, Any]) -> str:
    last = _last_sync(device)
    when = f"last check-in {last:%Y-%m-%d}" if last else "never checked in"
    return f"{_label(device)}, {when}"


def _is_stale(device: dict[str, Any], now: datetime) -> bool:
    last = _last_sync(device)
    return last is None or now - last > DEVICE_STALE


NON_COMPLIANT = _DeviceRule(
    bad="are not compliant (non-compliant, in error or in conflict)",
    good="are compliant",
    test=lambda d, _now: d.get("complianceState") in NON_COMPLIANT_STATES,
    grace=lambda d: d.get("complianceState") == GRACE_STATE,
    grace_text="are non-compliant within their grace period",
)
UNENCRYPTED = _DeviceRule(
    bad="are not encrypted",
    good="are encrypted",
    test=lambda d, _now: d.get("isEncrypted") is False,
)
STALE = _DeviceRule(
    bad=f"have not checked in for {DEVICE_STALE.days} days",
    good=f"checked in within {DEVICE_STALE.days} days",
    test=_is_stale,
    describe=_stale_label,
)


def devices_non_compliant(data: TenantData) -> Outcome:
    return _device_check(data, NON_COMPLIANT)


def devices_unencrypted(data: TenantData) -> Outcome:
    return _device_check(data, UNENCRYPTED)


def devices_stale(data: TenantData) -> Outcome:
    return _device_check(data, STALE)


# --- Licences ----------------------------------------------------------------------------------


def is_free_sku(part_number: str) -> bool:
    upper = part_number.upper()
    return upper in FREE_SKUS or any(marker in upper for marker in FREE_MARKERS)


def unassigned_licences(data: TenantData) -> Outcome:
    paid = [
        sku
        for sku in data.collection("subscribedSkus")
        if sku.get("capabilityStatus") == "Enabled"
        and sku.get("appliesTo", "User") == "User"
        and not is_free_sku(str(sku.get("skuPartNumber") or ""))
    ]
    if not paid:
        return Outcome(Status.NOT_APPLICABLE, "The tenant has no active paid user licences.")
    spare: list[tuple[dict[str, Any], int]] = []
    for sku in paid:
        bought = int((sku.get("prepaidUnits") or {}).get("enabled") or 0)
        unused = bought - int(sku.get("consumedUnits") or 0)
        if unused > 0:
            spare.append((sku, unused))
    if not spare:
        names = name_list(sorted(str(s.get("skuPartNumber")) for s in paid))
        return Outcome(Status.PASS, f"Every paid licence is assigned ({names}).")
    spare.sort(key=lambda item: str(item[0].get("skuPartNumber")))
    listed = [f"{s.get('skuPartNumber')}: {unused} of {_bought(s)}" for s, unused in spare]
    total = sum(unused for _, unused in spare)
    return Outcome(
        Status.WARN,
        f"{plural(total, 'paid licence')} {'is' if total == 1 else 'are'} bought but not "
        f"assigned: {name_list(listed)}.",
        tuple(
            Resource("sku", str(s.get("skuId")), str(s.get("skuPartNumber") or ""))
            for s, _ in spare
        ),
    )


def _bought(sku: dict[str, Any]) -> int:
    return int((sku.get("prepaidUnits") or {}).get("enabled") or 0)


# --- App credentials ---------------------------------------------------------------------------


def _credentials(owner: dict[str, Any]) -> list[tuple[str, datetime]]:
    """(kind, end) of each secret and certificate, once per distinct certificate."""
    seen: set[tuple[str, datetime, str]] = set()
    out: list[tuple[str, datetime]] = []
    for field, kind in (("passwordCredentials", "secret"), ("keyCredentials", "certificate")):
        for credential in owner.get(field) or []:
            end = parse_time(credential.get("endDateTime"))
            if end is None:
                continue
            identity = (kind, end, str(credential.get("customKeyIdentifier") or ""))
            if identity in seen:
                continue  # a SAML certificate is listed twice: to sign and to verify
            seen.add(identity)
            out.append((kind, end))
    return out


def _when(end: datetime, now: datetime) -> str:
    days = (end - now).days
    if end <= now:
        return f"expired {end:%Y-%m-%d}, {(now - end).days} days ago"
    return f"expires {end:%Y-%m-%d}, in {plural(days, 'day')}"


def credential_expiry(data: TenantData) -> Outcome:
    owners: list[tuple[str, dict[str, Any]]] = [
        ("application", app) for app in data.collection(APPLICATIONS)
    ]
    owners += [
        ("servicePrincipal", sp) for sp in data.optional_collection(SERVICE_PRINCIPALS) or []
    ]
    now = data.now
    dead: list[tuple[Resource, str]] = []
    soon: list[tuple[Resource, str]] = []
    leftover: list[tuple[Resource, str]] = []
    with_credentials = 0
    for kind, owner in owners:
        credentials = _credentials(owner)
        if not credentials:
            continue
        with_credentials += 1
        resource = Resource(kind, str(owner.get("id")), str(owner.get("displayName") or ""))
        expired = [(k, end) for k, end in credentials if end <= now]
        expiring = [(k, end) for k, end in credentials if now < end <= now + CREDENTIAL_WARN]
        if len(expired) == len(credentials):
            k, end = max(expired, key=lambda item: item[1])
            last = f"{k} {_when(end, now)}"
            dead.append((resource, f"{resource.name}: every credential expired (last: {last})"))
            continue
        for k, end in expiring:
            soon.append((resource, f"{resource.name}: {k} {_when(end, now)}"))
        if expired:
            count = plural(len(expired), "expired credential")
            leftover.append((resource, f"{resource.name}: {count}"))
    if not with_credentials:
        return Outcome(Status.NOT_APPLICABLE, "No app registration has a secret or certificate.")
    parts: list[str] = []
    if dead:
        parts.append(
            f"{plural(len(dead), 'app')} can no longer authenticate: "
            f"{name_list([text for _, text in dead])}."
        )
    if soon:
        parts.append(
            f"{plural(len(soon), 'credential')} {'expires' if len(soon) == 1 else 'expire'} "
            f"within {CREDENTIAL_WARN.days} days: "
            f"{name_list([text for _, text in soon])}."
        )
    if leftover:
        parts.append(
            f"Expired credentials to remove beside valid ones: "
            f"{name_list([text for _, text in leftover])}."
        )
    if not parts:
        return Outcome(
            Status.PASS,
            f"No credential of the {plural(with_credentials, 'app')} with secrets or "
            f"certificates expires within {CREDENTIAL_WARN.days} days.",
        )
    resources: list[Resource] = []
    for resource, _ in dead + soon + leftover:
        if resource not in resources:
            resources.append(resource)
    status = Status.FAIL if dead else Status.WARN
    return Outcome(status, " ".join(parts), tuple(resources))


CHECKS: dict[str, CheckFn] = {
    "remit.score.secure-score": secure_score,
    "remit.devices.non-compliant": devices_non_compliant,
    "remit.devices.unencrypted": devices_unencrypted,
    "remit.devices.stale": devices_stale,
    "remit.licences.unassigned": unassigned_licences,
    "remit.apps.credential-expiry": credential_expiry,
}
