"""remit.graph: the one async client for Microsoft Graph.

Auth (msal, secret or certificate), paging, ``$batch``, delta, per-tenant throttling and typed
errors. Build a client with :func:`open_graph_client`; everything else is plain data.
"""

from __future__ import annotations

from typing import Any

from remit.config import GraphSettings
from remit.domain import TenantCredentials
from remit.graph.auth import (
    CertificateCredential,
    MsalTokenProvider,
    TokenProvider,
    check_certificate_validity,
    load_certificate_credential,
    translate_token_error,
)
from remit.graph.client import GraphClient
from remit.graph.errors import graph_error_from_response, parse_error_body
from remit.graph.models import BatchRequest, BatchResponse, Collection, DeltaResult
from remit.graph.permissions import (
    ENDPOINT_PERMISSIONS,
    PROBES,
    PermissionProbe,
    ProbeResult,
    probe_permissions,
    required_permission,
)
from remit.graph.stats import RequestStats, endpoint_template
from remit.graph.throttle import TenantGate, backoff_delay, mailbox_key, parse_retry_after

__all__ = [
    "ENDPOINT_PERMISSIONS",
    "PROBES",
    "BatchRequest",
    "BatchResponse",
    "CertificateCredential",
    "Collection",
    "DeltaResult",
    "GraphClient",
    "MsalTokenProvider",
    "PermissionProbe",
    "ProbeResult",
    "RequestStats",
    "TenantGate",
    "TokenProvider",
    "backoff_delay",
    "check_certificate_validity",
    "endpoint_template",
    "graph_error_from_response",
    "load_certificate_credential",
    "mailbox_key",
    "open_graph_client",
    "parse_error_body",
    "parse_retry_after",
    "probe_permissions",
    "required_permission",
    "translate_token_error",
]


def open_graph_client(
    credentials: TenantCredentials, settings: GraphSettings, **kwargs: Any
) -> GraphClient:
    """A :class:`GraphClient` for one tenant with an msal token provider.

    ``kwargs`` go to GraphClient (``transport``, ``stats``, ``gate``, ``sleep``, ``rng``).
    Nothing touches the network until the first request.
    """
    tokens = MsalTokenProvider(credentials, settings)
    kwargs.setdefault("client_id", credentials.client_id)
    return GraphClient(credentials.tenant_id, tokens, settings, **kwargs)
