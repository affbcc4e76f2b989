"""Graph-shaped results: status, headers and a JSON (or text) payload, plus error bodies.

Handlers return :class:`GraphResult`; the HTTP layer serialises it, and ``$batch`` embeds the
payload of each sub-result as it is. Error bodies always have Graph's shape::

    {"error": {"code": ..., "message": ...,
               "innerError": {"date": ..., "request-id": ..., "client-request-id": ...}}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GRAPH_JSON = (
    "application/json; odata.metadata=minimal; odata.streaming=true; "
    "IEEE754Compatible=false; charset=utf-8"
)
TEXT_PLAIN = "text/plain; charset=utf-8"
AGS_DIAGNOSTIC = (
    '{"ServerInfo":{"DataCenter":"West Europe","Slice":"E","Ring":"5",'
    '"ScaleUnit":"003","RoleInstance":"AM4PEPF0000EMUL","ADSiteName":"AMS"}}'
)


@dataclass
class GraphResult:
    status: int
    payload: Any
    content_type: str = GRAPH_JSON
    headers: dict[str, str] = field(default_factory=dict)
    _body: bytes | None = field(default=None, repr=False)

    @property
    def is_json(self) -> bool:
        return self.content_type.startswith("application/json")

    def body(self) -> bytes:
        """The serialised payload (computed once)."""
        if self._body is None:
            if self.payload is None:
                self._body = b""
            elif self.is_json:
                self._body = json.dumps(self.payload, separators=(",", ":")).encode()
            else:
                self._body = str(self.payload).encode()
        return self._body


class GraphError(Exception):
    """Raised inside handlers; turned into a Graph error result by the pipeline."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def inner_error_date(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def error_result(
    status: int,
    code: str,
    message: str,
    *,
    request_id: str,
    client_request_id: str,
    headers: dict[str, str] | None = None,
) -> GraphResult:
    payload = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": inner_error_date(),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }
    return GraphResult(status=status, payload=payload, headers=dict(headers or {}))


def bad_request(message: str, code: str = "BadRequest") -> GraphError:
    return GraphError(400, code, message)


def not_found(resource_id: str) -> GraphError:
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{resource_id}' does not exist or one of its queried reference-property "
        "objects are not present.",
    )


def unknown_segment(segment: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
