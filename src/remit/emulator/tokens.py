"""Opaque tokens: access tokens (a signed JWT binding tenant and app) and paging/delta tokens.

Paging (``$skiptoken``) and delta (``$deltatoken``) tokens carry their state, signed with a key
made at server start: clients cannot forge or edit them, they survive client restarts, and a
restarted server refuses them (as Graph may after its own maintenance: clients start over).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from typing import Any

import jwt

GRAPH_AUDIENCE = "https://graph.microsoft.com"
_ALGORITHM = "HS256"
_CACHE_LIMIT = 4096


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)
        self._kid = hashlib.sha256(self._key).hexdigest()[:16]
        self._verified: dict[str, dict[str, Any]] = {}

    # ---- state tokens ($skiptoken, $deltatoken) ----------------------------------------------

    def seal(self, state: dict[str, Any]) -> str:
        body = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
        mac = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        return "RFNwdAIA" + _b64(mac + body)

    def unseal(self, token: str) -> dict[str, Any] | None:
        if not token.startswith("RFNwdAIA"):
            return None
        try:
            raw = _unb64(token[8:])
        except ValueError:
            return None
        mac, body = raw[:16], raw[16:]
        expected = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(mac, expected):
            return None
        try:
            state = json.loads(body)
        except ValueError:
            return None
        return state if isinstance(state, dict) else None

    # ---- access tokens -----------------------------------------------------------------------

    def issue_access_token(
        self,
        *,
        tenant_id: str,
        client_id: str,
        app_name: str,
        roles: list[str],
        issued_at: int,
        lifetime: int,
        issuer_host: str,
    ) -> str:
        claims = {
            "aud": GRAPH_AUDIENCE,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + lifetime,
            "appid": client_id,
            "app_displayname": app_name,
            "appidacr": "1",
            "idp": f"https://sts.windows.net/{tenant_id}/",
            "idtyp": "app",
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}/{client_id}")),
            "roles": roles,
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}/{client_id}")),
            "tid": tenant_id,
            "uti": _b64(secrets.token_bytes(16)),
            "ver": "1.0",
            "xms_emulator": issuer_host,
        }
        headers = {"typ": "JWT", "kid": self._kid}
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM, headers=headers)

    def read_access_token(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this server issued (signature only; the caller checks time)."""
        cached = self._verified.get(token)
        if cached is not None:
            return cached
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                audience=GRAPH_AUDIENCE,
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            return None
        if len(self._verified) >= _CACHE_LIMIT:
            self._verified.clear()
        self._verified[token] = claims
        return claims
