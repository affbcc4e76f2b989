"""Fixture files: loading, derived defaults, and one clear line for every kind of mistake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remit.emulator.errors import FixtureError
from remit.emulator.fixture import ALL_PERMISSIONS, DEFAULT_LICENSES, load_fixture

ORG_ID = "3f1e0c7a-5b7d-4e1a-9c1b-2f4d6e8a0b1c"


def _write(tmp_path: Path, content: str, name: str = "fixture.json") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def _good() -> dict[str, object]:
    return {
        "organization": {"value": [{"id": ORG_ID, "displayName": "Northwind"}]},
        "domains": {
            "value": [
                {"id": "northwind.onmicrosoft.com", "isDefault": False},
                {"id": "northwind.example", "isDefault": True},
            ]
        },
        "users": {"value": [{"id": "u1", "displayName": "Ada"}]},
        "policies/authorizationPolicy": {"id": "authorizationPolicy"},
    }


def test_values_are_derived_from_the_content(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps(_good(), indent=2))
    spec = load_fixture(path)
    assert spec.tenant_id == ORG_ID
    assert spec.display_name == "Northwind"
    assert spec.primary_domain == "northwind.example"
    assert spec.granted_permissions == ALL_PERMISSIONS
    assert spec.licenses == DEFAULT_LICENSES
    assert spec.user_count == 1
    assert len(spec.client_secret) == 40
    assert "~" in spec.client_secret
    again = load_fixture(path)
    assert (again.client_id, again.client_secret) == (spec.client_id, spec.client_secret)


def test_emulator_key_overrides_and_is_not_data(tmp_path: Path) -> None:
    document = {
        "_emulator": {
            "tenantId": "t-1",
            "clientId": "c-1",
            "clientSecret": "s-1",
            "grantedPermissions": ["User.Read.All"],
            "licenses": [],
        },
        "users": {"value": []},
    }
    spec = load_fixture(_write(tmp_path, json.dumps(document)))
    assert (spec.tenant_id, spec.client_id, spec.client_secret) == ("t-1", "c-1", "s-1")
    assert spec.granted_permissions == frozenset({"User.Read.All"})
    assert spec.licenses == frozenset()
    assert "_emulator" not in spec.data


def test_without_organization_the_tenant_id_comes_from_the_bytes(tmp_path: Path) -> None:
    first = load_fixture(_write(tmp_path, '{"users": {"value": []}}', "a.json"))
    second = load_fixture(_write(tmp_path, '{"users": {"value": []}}', "b.json"))
    third = load_fixture(_write(tmp_path, '{"groups": {"value": []}}', "c.json"))
    assert first.tenant_id == second.tenant_id != third.tenant_id


def test_malformed_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, '{\n  "users": {"value": []}\n  "groups": {"value": []}\n}\n')
    with pytest.raises(FixtureError) as caught:
        load_fixture(path)
    assert str(caught.value) == f"{path}: line 3, column 3: Expecting ',' delimiter"
    assert caught.value.exit_code == 9


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[1, 2]", "fixture.json: the top level must be a JSON object"),
        ('{\n"users": {"value": {}}\n}', "fixture.json: line 2: key 'users': a collection body"),
        (
            '{\n"users": {"value": []},\n"groups": {"value": [{"displayName": "x"}]}\n}',
            "fixture.json: line 3: key 'groups': value[0] is not an object with a string 'id'",
        ),
        ('{"/users": {"value": []}}', "key '/users' is not a Graph path"),
        ('{"organization": []}', "key 'organization': the body must be a JSON object"),
        ('{"_emulator": {"colour": "red"}}', "unknown '_emulator' field 'colour'"),
        ('{"_emulator": {"licenses": "P1"}}', "'_emulator.licenses' must be a list of strings"),
    ],
)
def test_bad_fixtures_say_what_and_where(tmp_path: Path, content: str, expected: str) -> None:
    with pytest.raises(FixtureError, match=None) as caught:
        load_fixture(_write(tmp_path, content))
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot read the fixture file"):
        load_fixture(tmp_path / "absent.json")
