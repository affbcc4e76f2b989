"""Check implementations. Each module maps check ids (as in ``catalog/checks.yaml``) to pure
functions ``(TenantData) -> Outcome`` in a dict named ``CHECKS``."""

from __future__ import annotations

from collections.abc import Mapping

from remit.posture.checks import (
    estate,
    identity_hygiene,
    privileged_hygiene,
    scuba_aad,
    scuba_aad_apps,
    scuba_aad_privileged,
    scuba_aad_settings,
)
from remit.posture.engine import CheckFn

MODULES = (
    scuba_aad,
    scuba_aad_settings,
    scuba_aad_apps,
    scuba_aad_privileged,
    identity_hygiene,
    privileged_hygiene,
    estate,
)


def all_checks() -> Mapping[str, CheckFn]:
    """Every implemented check by id; two modules may not claim the same id."""
    merged: dict[str, CheckFn] = {}
    for module in MODULES:
        for check_id, check in module.CHECKS.items():
            if check_id in merged:
                raise LookupError(f"check {check_id} is implemented twice")
            merged[check_id] = check
    return merged
