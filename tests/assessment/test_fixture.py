"""Fixture files for `remit assess --fixture`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remit.assessment.fixture import load_fixture_payloads
from remit.errors import InvalidInput


def test_a_fixture_gives_its_graph_bodies_without_the_emulator_settings(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps({"users": {"value": []}, "_emulator": {"clientSecret": "x"}}), encoding="utf-8"
    )
    assert load_fixture_payloads(path) == {"users": {"value": []}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  "users": {"value": []},,\n}', r"t\.json: line 2, column 26: Expecting property"),
        ("[1, 2]", "the top level must be a JSON object"),
        ('{"users": {"value": {}}}', "'users': a collection's 'value' must be a list"),
    ],
)
def test_bad_fixtures_are_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message) as caught:
        load_fixture_payloads(path)
    assert "\n" not in str(caught.value)


def test_a_missing_fixture(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such fixture file"):
        load_fixture_payloads(tmp_path / "nope.json")
