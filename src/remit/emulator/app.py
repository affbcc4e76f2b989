"""The ASGI application: Entra's token endpoint, Graph v1.0 and the control API on one origin.

``build_app(state)`` returns the raw ASGI app uvicorn serves: the transport-fault middleware
(dropped and truncated responses) wrapped around a Starlette app.
"""

from __future__ import annotations

import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from remit.emulator import auth, control
from remit.emulator.batch import run_batch
from remit.emulator.endpoints import path_template
from remit.emulator.faults import SCOPE_KEY, ASGIApp, TransportFault, TransportFaultMiddleware
from remit.emulator.graph import GraphRequest, GraphService, standard_headers
from remit.emulator.responses import GraphError, GraphResult, error_result
from remit.emulator.state import EmulatorState
from remit.emulator.stats import UNAUTHENTICATED


def to_response(result: GraphResult) -> Response:
    return Response(
        content=result.body(),
        status_code=result.status,
        headers=result.headers,
        media_type=result.content_type,
    )


def _service(request: Request) -> GraphService:
    service: GraphService = request.app.state.graph
    return service


async def graph_endpoint(request: Request) -> Response:
    service = _service(request)
    state = service.state
    path = request.path_params.get("path", "").strip("/")
    headers = {k.lower(): v for k, v in request.headers.items()}
    request_id = str(uuid.uuid4())
    client_request_id = headers.get("client-request-id") or request_id
    try:
        tenant = auth.authenticate(state, headers.get("authorization"))
    except GraphError as exc:
        result = error_result(
            exc.status,
            exc.code,
            exc.message,
            request_id=request_id,
            client_request_id=client_request_id,
            headers=exc.headers,
        )
        result.headers.update(standard_headers(request_id, client_request_id))
        state.stats.record(
            UNAUTHENTICATED, path_template(path) or "(root)", result.status, len(result.body())
        )
        return to_response(result)
    params: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, value)
    transport = request.scope.get(SCOPE_KEY)
    req = GraphRequest(
        method=request.method,
        path=path,
        params=params,
        headers=headers,
        tenant=tenant,
        base_url=auth.base_url(request),
        request_id=request_id,
        client_request_id=client_request_id,
        transport=transport if isinstance(transport, TransportFault) else None,
    )
    if path == "$batch" and request.method == "POST":
        result = await run_batch(service, req, await request.body())
    else:
        result = await service.dispatch(req)
    return to_response(result)


_GRAPH_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]


def build_app(state: EmulatorState) -> ASGIApp:
    routes = [
        Route("/{tenant}/v2.0/.well-known/openid-configuration", auth.openid_configuration),
        Route("/{tenant}/discovery/v2.0/keys", auth.jwks),
        Route("/{tenant}/oauth2/v2.0/token", auth.token, methods=["POST"]),
        Route("/v1.0", graph_endpoint, methods=_GRAPH_METHODS),
        Route("/v1.0/{path:path}", graph_endpoint, methods=_GRAPH_METHODS),
        *control.ROUTES,
    ]
    app = Starlette(routes=routes)
    app.state.emulator = state
    app.state.graph = GraphService(state)
    return TransportFaultMiddleware(app)
