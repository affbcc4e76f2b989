"""CISA SCuBA Entra ID baseline: application credential restrictions (MS.AAD.5.5, 5.6, 5.7).

They live in the tenant's default app management policy (Graph v1.0
``GET /policies/defaultAppManagementPolicy``, a ``tenantAppManagementPolicy``; permission
Policy.Read.All), with one list of restrictions for applications and one for service principals.
The criteria are ScubaGear's (Testing/Unit/Rego/AAD/AADConfig_05_test.rego):

- 5.5: ``passwordAddition`` and ``symmetricKeyAddition`` are enabled for both, with no
  ``restrictForAppsCreatedAfterDateTime`` (a date exempts older apps);
- 5.6: where password or symmetric-key addition is not blocked, ``passwordLifetime`` /
  ``symmetricKeyLifetime`` is enabled with ``maxLifetime`` of at most 181 days (Entra compares
  with "less than", so 181 enforces "180 days or less"); not applicable when 5.5 is met;
- 5.7: ``asymmetricKeyLifetime`` is enabled for both with ``maxLifetime`` of at most 366 days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from remit.posture.data import TenantData
from remit.posture.engine import CheckFn
from remit.posture.model import Outcome, Resource, Status
from remit.posture.views import parse_time

APP_POLICY = "policies/defaultAppManagementPolicy"
SCOPES = (
    ("applicationRestrictions", "Applications"),
    ("servicePrincipalRestrictions", "ServicePrincipals"),
)
ADDITIONS = (
    ("passwordAddition", "passwordLifetime"),
    ("symmetricKeyAddition", "symmetricKeyLifetime"),
)
PASSWORD_MAX = timedelta(days=181)
CERTIFICATE_MAX = timedelta(days=366)

_DURATION = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: Any) -> timedelta | None:
    """An ISO-8601 duration (``P181D``, ``P1Y``, ``PT12H``) as a timedelta; years count 365
    days and months 30. None when absent or unreadable."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None or value == "P":
        return None
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return timedelta(
        days=parts["y"] * 365 + parts["mo"] * 30 + parts["w"] * 7 + parts["d"],
        hours=parts["h"],
        minutes=parts["mi"],
        seconds=parts["s"],
    )


def _resource(policy: dict[str, Any]) -> tuple[Resource, ...]:
    name = str(policy.get("displayName") or "Default app management policy")
    return (Resource("policy", str(policy.get("id") or "defaultAppManagementPolicy"), name),)


def _restriction(
    policy: dict[str, Any], scope: str, kind: str, restriction_type: str
) -> dict[str, Any] | None:
    for item in (policy.get(scope) or {}).get(kind) or []:
        if isinstance(item, dict) and item.get("restrictionType") == restriction_type:
            return item
    return None


def _shortfall(
    restriction: dict[str, Any] | None, label: str, maximum: timedelta | None = None
) -> str | None:
    """Why ``restriction`` does not enforce the SCuBA policy for every app (None: it does)."""
    if restriction is None:
        return f"{label}: no restriction"
    if restriction.get("state", "enabled") not in (None, "enabled"):
        return f"{label}: restriction is not enabled"
    since = parse_time(restriction.get("restrictForAppsCreatedAfterDateTime"))
    if since is not None and since.year > 1900:
        return f"{label}: apps created before {since.date().isoformat()} are exempt"
    if maximum is not None:
        lifetime = parse_duration(restriction.get("maxLifetime"))
        if lifetime is None:
            return f"{label}: no readable maximum lifetime"
        if lifetime > maximum:
            return f"{label}: maximum lifetime is {lifetime.days} days, more than {maximum.days}"
    return None


def _exempt_actors(policy: dict[str, Any], restrictions: Iterable[tuple[str, str, str]]) -> bool:
    for scope, kind, restriction_type in restrictions:
        item = _restriction(policy, scope, kind, restriction_type) or {}
        if (item.get("excludeActors") or {}).get("customSecurityAttributes"):
            return True
    return False


def _policy(data: TenantData) -> tuple[dict[str, Any], str | None]:
    policy = data.object(APP_POLICY)
    if policy.get("isEnabled") is False:
        return policy, "the tenant's default app management policy is off"
    return policy, None


def _outcome(
    policy: dict[str, Any],
    problems: list[str],
    checked: list[tuple[str, str, str]],
    passed: str,
    failed: str,
) -> Outcome:
    resources = _resource(policy)
    if problems:
        return Outcome(Status.FAIL, f"{failed}: {'; '.join(problems)}.", resources)
    if _exempt_actors(policy, checked):
        return Outcome(
            Status.WARN,
            f"{passed}, but apps carrying certain custom security attributes are exempt.",
            resources,
        )
    return Outcome(Status.PASS, f"{passed}.", resources)


def _addition_problems(policy: dict[str, Any]) -> list[str]:
    return [
        problem
        for scope, label in SCOPES
        for addition, _ in ADDITIONS
        if (
            problem := _shortfall(
                _restriction(policy, scope, "passwordCredentials", addition),
                f"{addition} ({label})",
            )
        )
    ]


def password_addition(data: TenantData) -> Outcome:
    """MS.AAD.5.5v1: adding passwords (client secrets) and symmetric keys is blocked."""
    policy, off = _policy(data)
    problems = [off] if off else _addition_problems(policy)
    checked = [
        (scope, "passwordCredentials", addition) for scope, _ in SCOPES for addition, _ in ADDITIONS
    ]
    return _outcome(
        policy,
        problems,
        checked,
        "Adding passwords and symmetric keys to applications and service principals is blocked",
        "Applications can still get client secrets",
    )


def password_lifetime(data: TenantData) -> Outcome:
    """MS.AAD.5.6v1: where secrets can still be added, their lifetime is at most 180 days."""
    policy, off = _policy(data)
    if off is None and not _addition_problems(policy):
        return Outcome(
            Status.NOT_APPLICABLE,
            "Password addition is blocked for every application (MS.AAD.5.5), so there is no "
            "password lifetime to restrict.",
            _resource(policy),
        )
    problems: list[str] = [off] if off else []
    checked: list[tuple[str, str, str]] = []
    for scope, label in SCOPES:
        for addition, lifetime in ADDITIONS:
            if (
                off is None
                and _shortfall(
                    _restriction(policy, scope, "passwordCredentials", addition), addition
                )
                is None
            ):
                continue  # this kind of secret cannot be added at all
            checked.append((scope, "passwordCredentials", lifetime))
            problem = _shortfall(
                _restriction(policy, scope, "passwordCredentials", lifetime),
                f"{lifetime} ({label})",
                PASSWORD_MAX,
            )
            if problem and not off:
                problems.append(problem)
    return _outcome(
        policy,
        problems,
        checked,
        "Application secrets that can still be added expire within 180 days",
        "Application secret lifetime is not limited to 180 days",
    )


def certificate_lifetime(data: TenantData) -> Outcome:
    """MS.AAD.5.7v1: certificate (asymmetric key) lifetime is at most 365 days."""
    policy, off = _policy(data)
    checked = [(scope, "keyCredentials", "asymmetricKeyLifetime") for scope, _ in SCOPES]
    problems = (
        [off]
        if off
        else [
            problem
            for scope, label in SCOPES
            if (
                problem := _shortfall(
                    _restriction(policy, scope, "keyCredentials", "asymmetricKeyLifetime"),
                    f"asymmetricKeyLifetime ({label})",
                    CERTIFICATE_MAX,
                )
            )
        ]
    )
    return _outcome(
        policy,
        problems,
        checked,
        "Application certificates are limited to 365 days",
        "Application certificate lifetime is not limited to 365 days",
    )


CHECKS: dict[str, CheckFn] = {
    "MS.AAD.5.5": password_addition,
    "MS.AAD.5.6": password_lifetime,
    "MS.AAD.5.7": certificate_lifetime,
}
