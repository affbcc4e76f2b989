"""``/_emulator/...``: control and introspection for tests, demos and the CLI (loopback only).

Tenants and their credentials, request statistics, scenarios, certificates, data edits,
permissions, licences, the emulated clock, fault rules and throttling state. No authentication:
the routes answer clients on the loopback interface only.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from remit.emulator.auth import register_certificate, thumbprints
from remit.emulator.faults import rule_from_json
from remit.emulator.state import EmulatorState
from remit.emulator.tenants import TenantState

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
Handler = Callable[[Request], Awaitable[Response]]


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def _tenant(request: Request) -> TenantState:
    tid = request.path_params["tid"]
    tenant = _state(request).registry.lookup(tid)
    if tenant is None:
        raise ControlError(404, f"no tenant {tid!r} on this emulator")
    return tenant


async def _json(request: Request, *, optional: bool = False) -> Any:
    raw = await request.body()
    if not raw.strip():
        if optional:
            return {}
        raise ControlError(400, "the request needs a JSON body")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ControlError(400, f"the body is not valid JSON: {exc}") from None


def control(handler: Handler) -> Handler:
    """Loopback only; ControlError becomes ``{"error": message}`` with its status."""

    async def wrapped(request: Request) -> Response:
        host = request.client.host if request.client else ""
        if host not in _LOOPBACK:
            return JSONResponse({"error": "the control API answers loopback clients only"}, 403)
        try:
            return await handler(request)
        except ControlError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)

    return wrapped


def tenant_summary(tenant: TenantState) -> dict[str, Any]:
    header = tenant.header
    return {
        "tenant_id": header.tenant_id,
        "display_name": header.display_name,
        "primary_domain": header.primary_domain,
        "client_id": header.client_id,
        "client_secret": header.client_secret,
        "profile": header.profile,
        "users": tenant.user_count(),
        "loaded": tenant.loaded,
        "granted_permissions": sorted(tenant.granted_permissions),
        "licenses": sorted(tenant.licenses),
    }


@control
async def list_tenants(request: Request) -> Response:
    return JSONResponse({"tenants": [tenant_summary(t) for t in _state(request).registry]})


@control
async def get_stats(request: Request) -> Response:
    return JSONResponse(_state(request).stats.snapshot())


@control
async def clear_stats(request: Request) -> Response:
    _state(request).stats.clear()
    return JSONResponse({"cleared": True})


def _scenarios() -> Any:
    try:
        module = importlib.import_module("remit.emulator.scenarios")
    except ImportError as exc:
        raise ControlError(501, f"scenarios are not available in this build ({exc})") from None
    return module.SCENARIOS


@control
async def list_scenarios(request: Request) -> Response:
    scenarios = _scenarios()
    return JSONResponse(
        {"scenarios": [{"name": s.name, "summary": s.summary} for s in scenarios.values()]}
    )


@control
async def apply_scenario(request: Request) -> Response:
    tenant = _tenant(request)
    name = request.path_params["name"]
    scenario = _scenarios().get(name)
    if scenario is None:
        raise ControlError(404, f"no scenario {name!r}; GET /_emulator/scenarios lists them")
    body = await _json(request, optional=True)
    if not isinstance(body, dict):
        raise ControlError(400, "scenario parameters must be a JSON object")
    params = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
    now = _state(request).clock.wall()
    try:
        description, summary = tenant.mutate(lambda spec: scenario.apply(spec, params, now))
    except ValueError as exc:  # ScenarioError: a bad parameter, or nothing to apply it to
        raise ControlError(400, str(exc)) from None
    return JSONResponse(
        {
            "tenant_id": tenant.tenant_id,
            "scenario": name,
            "description": description,
            "changes": summary.as_json(),
        }
    )


@control
async def add_certificate(request: Request) -> Response:
    tenant = _tenant(request)
    body = await _json(request)
    pem = body.get("pem") if isinstance(body, dict) else None
    if not isinstance(pem, str):
        raise ControlError(400, 'send {"pem": "<PEM certificate>"}')
    try:
        certificate = register_certificate(tenant, pem)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ControlError(400, f"not a PEM certificate: {exc}") from None
    sha1, sha256 = thumbprints(certificate)
    return JSONResponse(
        {
            "thumbprint": sha1.upper(),
            "thumbprint_sha256": sha256,
            "not_after": certificate.not_valid_after_utc.isoformat(),
        }
    )


@control
async def data_key(request: Request) -> Response:
    tenant = _tenant(request)
    key = request.path_params["path"].strip("/")
    if request.method == "GET":
        body = tenant.spec.data.get(key)
        if body is None:
            raise ControlError(404, f"tenant has no data key {key!r}")
        return JSONResponse(body)
    if request.method == "DELETE":
        try:
            summary = tenant.delete(key)
        except KeyError:
            raise ControlError(404, f"tenant has no data key {key!r}") from None
        return JSONResponse({"key": key, "changes": summary.as_json()})
    try:
        summary = tenant.put(key, await _json(request))
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    return JSONResponse({"key": key, "changes": summary.as_json()})


def _string_list(body: Any, field: str) -> list[str]:
    values = body.get(field) if isinstance(body, dict) else None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ControlError(400, f'send {{"{field}": ["...", ...]}}')
    return values


@control
async def set_permissions(request: Request) -> Response:
    tenant = _tenant(request)
    tenant.set_permissions(_string_list(await _json(request), "granted"))
    return JSONResponse({"granted": sorted(tenant.granted_permissions)})


@control
async def set_licenses(request: Request) -> Response:
    tenant = _tenant(request)
    tenant.set_licenses(_string_list(await _json(request), "licenses"))
    return JSONResponse({"licenses": sorted(tenant.licenses)})


@control
async def clock(request: Request) -> Response:
    state = _state(request)
    if request.method == "POST":
        body = await _json(request)
        seconds = body.get("advance_seconds") if isinstance(body, dict) else None
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise ControlError(400, 'send {"advance_seconds": N} with N >= 0')
        state.clock.advance(float(seconds))
    return JSONResponse({"now": state.clock.wall().isoformat()})


@control
async def faults(request: Request) -> Response:
    state = _state(request)
    if request.method == "DELETE":
        state.faults.clear()
        return JSONResponse({"cleared": True})
    if request.method == "POST":
        body = await _json(request)
        raw_rules = body.get("rules") if isinstance(body, dict) else None
        if not isinstance(raw_rules, list):
            raise ControlError(400, 'send {"rules": [{"kind": ...}, ...]}')
        try:
            rules = [rule_from_json(r) for r in raw_rules]
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        return JSONResponse({"ids": state.faults.add(rules)})
    return JSONResponse({"rules": [r.as_json() for r in state.faults.rules()]})


@control
async def delete_fault(request: Request) -> Response:
    if not _state(request).faults.remove(request.path_params["rule_id"]):
        raise ControlError(404, "no such fault rule")
    return JSONResponse({"deleted": request.path_params["rule_id"]})


@control
async def reset_throttling(request: Request) -> Response:
    _state(request).throttler.reset()
    return JSONResponse({"reset": True})


ROUTES = [
    Route("/_emulator/tenants", list_tenants, methods=["GET"]),
    Route("/_emulator/stats", get_stats, methods=["GET"]),
    Route("/_emulator/stats", clear_stats, methods=["DELETE"]),
    Route("/_emulator/scenarios", list_scenarios, methods=["GET"]),
    Route("/_emulator/tenants/{tid}/scenarios/{name}", apply_scenario, methods=["POST"]),
    Route("/_emulator/tenants/{tid}/certificates", add_certificate, methods=["POST"]),
    Route("/_emulator/tenants/{tid}/data/{path:path}", data_key, methods=["GET", "PUT", "DELETE"]),
    Route("/_emulator/tenants/{tid}/permissions", set_permissions, methods=["POST"]),
    Route("/_emulator/tenants/{tid}/licenses", set_licenses, methods=["POST"]),
    Route("/_emulator/clock", clock, methods=["GET", "POST"]),
    Route("/_emulator/faults", faults, methods=["GET", "POST", "DELETE"]),
    Route("/_emulator/faults/{rule_id}", delete_fault, methods=["DELETE"]),
    Route("/_emulator/throttling", reset_throttling, methods=["DELETE"]),
]
