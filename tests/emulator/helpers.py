"""A tiny Graph/Entra client over real HTTPS for the emulator's tests (httpx, no product code)."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def tls_context(server: EmulatorServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(server.ca_bundle))


class Session:
    """One app in one tenant: gets a token with the client secret and calls Graph."""

    def __init__(self, server: EmulatorServer, spec: TenantSpec) -> None:
        self.server = server
        self.spec = spec
        self.http = httpx.Client(
            base_url=server.url, verify=tls_context(server), trust_env=False, timeout=30
        )
        self._token: str | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def token_response(self, **form: str) -> httpx.Response:
        data = {
            "grant_type": "client_credentials",
            "client_id": self.spec.client_id,
            "client_secret": self.spec.client_secret,
            "scope": GRAPH_SCOPE,
            **form,
        }
        data = {k: v for k, v in data.items() if v != ""}
        return self.http.post(f"/{self.spec.tenant_id}/oauth2/v2.0/token", data=data)

    def token(self, *, refresh: bool = False) -> str:
        if self._token is None or refresh:
            response = self.token_response()
            assert response.status_code == 200, response.text
            self._token = response.json()["access_token"]
        return self._token

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = path if path.startswith("https://") else f"/v1.0/{path.lstrip('/')}"
        return self.http.get(
            url,
            params=params,
            headers={"Authorization": f"Bearer {self.token()}", **(headers or {})},
        )

    def get_all(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        response = self.get(path, params)
        while True:
            assert response.status_code == 200, response.text
            body = response.json()
            items += body["value"]
            if "@odata.nextLink" not in body:
                return items
            response = self.get(body["@odata.nextLink"])

    def batch(self, requests: list[dict[str, Any]]) -> httpx.Response:
        return self.http.post(
            "/v1.0/$batch",
            json={"requests": requests},
            headers={"Authorization": f"Bearer {self.token()}"},
        )

    def control(self, method: str, path: str, json: Any = None) -> httpx.Response:
        return self.http.request(method, f"/_emulator/{path.lstrip('/')}", json=json)


def error_of(response: httpx.Response) -> tuple[str, str]:
    body = response.json()["error"]
    return body["code"], body["message"]
