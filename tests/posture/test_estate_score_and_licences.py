"""Secure Score and its trend; licences bought but not assigned."""

from __future__ import annotations

from typing import Any

import pytest

from remit.posture.checks.estate import is_free_sku
from remit.posture.model import Status
from tests.posture.hygiene_fixtures import (
    BUSINESS_STANDARD,
    ENTRA_P2_PLAN,
    ENTRA_P2_SKU,
    EXCHANGE_STANDARD_PLAN,
    FLOW_FREE_SKU,
    names,
    only,
    permission_refused,
    run,
    scores,
    sku,
)

SCORE = "remit.score.secure-score"
LICENCES = "remit.licences.unassigned"
ORGANIZATION = {"value": [{"id": "6f1d3c4e-0000-4000-8000-000000000001", "displayName": "Contoso"}]}


def _scores(*shares: float) -> dict[str, Any]:
    return {"security/secureScores": scores(*shares), "organization": ORGANIZATION}


# --- Secure Score ------------------------------------------------------------------------------


def test_score_passes_when_high_and_steady() -> None:
    outcome = run(SCORE, only(_scores(72, 71, 70)))
    assert outcome.status is Status.PASS
    assert outcome.details == (
        "Secure Score is 144 of 200 points (72%) on 2026-11-01; it was 70% on 2026-10-30 "
        "(+2 percentage points)."
    )
    assert [(r.type, r.name) for r in outcome.resources] == [("tenant", "Contoso")]


def test_score_fails_below_40_percent() -> None:
    outcome = run(SCORE, only(_scores(35, 35)))
    assert outcome.status is Status.FAIL
    assert outcome.details.endswith("below 40%.")


def test_score_warns_when_it_fell_more_than_5_points() -> None:
    outcome = run(SCORE, only(_scores(60, 64, 67)))
    assert outcome.status is Status.WARN
    assert "(-7 percentage points): it fell by more than 5 percentage points." in outcome.details


def test_score_order_does_not_depend_on_the_answer_order() -> None:
    payload = _scores(60, 64, 67)
    payload["security/secureScores"]["value"].reverse()  # oldest first
    assert run(SCORE, only(payload)).status is Status.WARN


def test_a_drop_of_exactly_5_points_is_not_a_warning() -> None:
    assert run(SCORE, only(_scores(60, 65))).status is Status.PASS


def test_score_not_applicable_before_the_first_score() -> None:
    outcome = run(SCORE, only({"security/secureScores": {"value": []}}))
    assert outcome.status is Status.NOT_APPLICABLE


def test_score_error_names_the_missing_permission() -> None:
    result = permission_refused("security/secureScores", "SecurityEvents.Read.All")
    outcome = run(SCORE, only({}, result))
    assert outcome.status is Status.ERROR
    assert "SecurityEvents.Read.All" in outcome.details


# --- Licences ----------------------------------------------------------------------------------

STANDARD_PLANS = (("EXCHANGE_S_STANDARD", EXCHANGE_STANDARD_PLAN),)
P2_PLANS = (("AAD_PREMIUM_P2", ENTRA_P2_PLAN),)


def test_licences_pass_when_every_paid_unit_is_assigned() -> None:
    skus = [
        sku("O365_BUSINESS_PREMIUM", BUSINESS_STANDARD, bought=12, used=12, plans=STANDARD_PLANS),
        sku("FLOW_FREE", FLOW_FREE_SKU, bought=10000, used=3),
    ]
    outcome = run(LICENCES, only({"subscribedSkus": {"value": skus}}))
    assert outcome.status is Status.PASS
    assert outcome.details == "Every paid licence is assigned (O365_BUSINESS_PREMIUM)."


def test_licences_warn_per_sku_with_spare_units() -> None:
    skus = [
        sku("O365_BUSINESS_PREMIUM", BUSINESS_STANDARD, bought=15, used=12, plans=STANDARD_PLANS),
        sku("AAD_PREMIUM_P2", ENTRA_P2_SKU, bought=5, used=4, plans=P2_PLANS),
        sku("FLOW_FREE", FLOW_FREE_SKU, bought=10000, used=3),
    ]  # fmt: skip
    outcome = run(LICENCES, only({"subscribedSkus": {"value": skus}}))
    assert outcome.status is Status.WARN
    assert outcome.details == (
        "4 paid licences are bought but not assigned: AAD_PREMIUM_P2: 1 of 5, "
        "O365_BUSINESS_PREMIUM: 3 of 15."
    )
    assert names(outcome) == ["AAD_PREMIUM_P2", "O365_BUSINESS_PREMIUM"]
    assert {r.type for r in outcome.resources} == {"sku"}


def test_licences_ignore_suspended_and_tenant_wide_skus() -> None:
    skus = [
        sku("O365_BUSINESS_PREMIUM", BUSINESS_STANDARD, bought=15, used=12, status="Suspended"),
        sku("MCOPSTNC", ENTRA_P2_SKU, bought=1, used=0, applies_to="Company"),
        sku("O365_BUSINESS_ESSENTIALS", FLOW_FREE_SKU, bought=2, used=2),
    ]
    assert run(LICENCES, only({"subscribedSkus": {"value": skus}})).status is Status.PASS


def test_licences_not_applicable_with_only_free_skus() -> None:
    skus = [sku("FLOW_FREE", FLOW_FREE_SKU, bought=10000, used=3)]
    outcome = run(LICENCES, only({"subscribedSkus": {"value": skus}}))
    assert outcome.status is Status.NOT_APPLICABLE


def test_licences_error_without_subscribed_skus() -> None:
    outcome = run(LICENCES, only({}))
    assert outcome.status is Status.ERROR
    assert outcome.details == "subscribedSkus was not collected"


@pytest.mark.parametrize(
    ("part", "free"),
    [
        ("FLOW_FREE", True),
        ("POWER_BI_STANDARD", True),
        ("POWERAPPS_VIRAL", True),
        ("ENTERPRISEPREMIUM_TRIAL", True),
        ("DEVELOPERPACK_E5", True),
        ("SPE_E5", False),
        ("INTUNE_A_D", False),
        ("O365_BUSINESS_PREMIUM", False),
    ],
)
def test_free_trial_and_viral_skus_are_recognised(part: str, free: bool) -> None:
    assert is_free_sku(part) is free
