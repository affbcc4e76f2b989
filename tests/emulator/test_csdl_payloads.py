"""Every payload the synthetic tenants and the scenarios produce is valid against Graph's CSDL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from remit.emulator.scenarios import SCENARIOS, ScenarioError
from remit.emulator.synthetic import PROFILE_CYCLE, PROFILES, generate_tenant
from tests.support import csdl

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
BOOK = [(1, index) for index in range(12)] + [(2, index) for index in range(8)]


@pytest.mark.parametrize(("seed", "index"), BOOK, ids=[f"seed{s}-t{i}" for s, i in BOOK])
def test_every_key_of_a_synthetic_tenant_is_valid(seed: int, index: int) -> None:
    spec = generate_tenant(index, seed)
    assert csdl.validate_fixture(spec.data) == []


def test_the_validated_book_covers_every_profile() -> None:
    assert {PROFILE_CYCLE[index % len(PROFILE_CYCLE)] for _, index in BOOK} == set(PROFILES)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_scenario_result_is_valid(profile: str) -> None:
    spec = generate_tenant(PROFILE_CYCLE.index(profile), 3)
    applied = []
    for name, scenario in SCENARIOS.items():
        try:
            scenario.apply(spec, {}, NOW)
        except ScenarioError:
            continue  # e.g. no CA policy in a small office: covered by the scenario tests
        applied.append(name)
    assert "new-global-admin" in applied
    assert "guest-privileged-role" in applied
    assert csdl.validate_fixture(spec.data) == []
