"""What the emulator serves over HTTP validates against Graph's v1.0 CSDL (synthetic tenants)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from remit.emulator.endpoints import path_template
from remit.emulator.server import EmulatorServer
from remit.emulator.state import EmulatorOptions
from tests.support import csdl

from .helpers import Session

TENANTS = 8  # one of each profile
SAMPLES_PER_TEMPLATE = 2


@pytest.fixture(scope="module")
def synthetic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    from remit.emulator.synthetic import generate_tenants

    tenants = generate_tenants(TENANTS, 1)
    with EmulatorServer(
        tenants,
        options=EmulatorOptions(throttling=False),
        state_dir=Path(tmp_path_factory.mktemp("synthetic")),
    ) as server:
        yield server


def _keys_to_check(data: dict[str, Any]) -> list[str]:
    seen: dict[str, int] = defaultdict(int)
    keys = []
    for key in data:
        template = path_template(key)
        if seen[template] < SAMPLES_PER_TEMPLATE:
            seen[template] += 1
            keys.append(key)
    return keys


def test_every_served_payload_matches_the_csdl(synthetic_server: EmulatorServer) -> None:
    assert csdl is not None
    problems: list[str] = []
    checked = 0
    for tenant in synthetic_server.state.registry:
        spec = tenant.spec
        with Session(synthetic_server, spec) as session:
            for key in _keys_to_check(spec.data):
                type_name = csdl.type_for_key(key)
                if type_name is None:
                    continue
                body = spec.data[key]
                params: dict[str, str] = {}
                if key == "users":
                    names = sorted({name for user in body["value"] for name in user})
                    params["$select"] = ",".join(n for n in names if not n.startswith("@"))
                if key == "policies/roleManagementPolicyAssignments":
                    params["$expand"] = "policy($expand=rules)"
                response = session.get(key, params)
                if response.status_code != 200:
                    # Licence and permission refusals are part of some profiles.
                    assert response.status_code in (400, 403), (key, response.text)
                    continue
                served = response.json()
                items = session.get_all(key, params) if "value" in body else [served]
                for index, item in enumerate(items):
                    item = {k: v for k, v in item.items() if k != "@odata.context"}
                    problems += csdl.validate(type_name, item, path=f"{key}[{index}]")
                    checked += 1
    assert checked > 500
    assert problems == []


def test_delta_payloads_match_the_csdl(synthetic_server: EmulatorServer) -> None:
    assert csdl is not None
    tenant = next(iter(synthetic_server.state.registry))
    with Session(synthetic_server, tenant.spec) as session:
        for collection, type_name in (
            ("users", "microsoft.graph.user"),
            ("groups", "microsoft.graph.group"),
        ):
            items = []
            body = session.get(f"{collection}/delta").json()
            while True:
                items += body["value"]
                if "@odata.deltaLink" in body:
                    break
                body = session.get(body["@odata.nextLink"]).json()
            assert items
            for item in items:
                assert csdl.validate(type_name, item) == []
