"""The one seam to :mod:`remit.controlmap`: a tenant's effective control map.

Drift and reviews need the map a tenant is judged against. It comes from
``remit.controlmap.effective_map(workspace, tenant_ref)``; until that package is installed,
a tenant has no approvals, no emergency accounts and no controls (an empty map), so every
privileged principal shows up as unapproved. Use cases take a ``maps`` argument of type
:data:`MapSource`, so tests and callers can hand in maps of their own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from remit.governance.model import ControlMapDoc
from remit.workspace import Workspace

MapSource = Callable[[Workspace, str], ControlMapDoc]
CONTROLMAP_MODULE = "remit.controlmap"


def effective_map(workspace: Workspace, tenant_ref: str) -> ControlMapDoc:
    """The effective control map of the tenant ``tenant_ref`` (handle, tenant id or domain)."""
    try:
        module = importlib.import_module(CONTROLMAP_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != CONTROLMAP_MODULE:
            raise  # the package is there but something it imports is not: a real error
        return ControlMapDoc()
    document = module.effective_map(workspace, tenant_ref)
    if not isinstance(document, ControlMapDoc):
        raise TypeError(f"{CONTROLMAP_MODULE}.effective_map returned {type(document).__name__}")
    return document
