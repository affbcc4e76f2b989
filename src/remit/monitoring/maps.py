"""The one seam to :mod:`remit.controlmap`: a tenant's effective control map.

Drift and reviews judge a tenant against its effective map
(:func:`remit.controlmap.effective_map`: the MSP default baseline, the tenant's tier and its own
layer, merged). Use cases take a ``maps`` argument of type :data:`MapSource` so that callers
and tests can hand in maps of their own.
"""

from __future__ import annotations

from collections.abc import Callable

from remit.controlmap import effective_map as controlmap_effective_map
from remit.governance.model import ControlMapDoc
from remit.workspace import Workspace

MapSource = Callable[[Workspace, str], ControlMapDoc]


def effective_map(workspace: Workspace, tenant_ref: str) -> ControlMapDoc:
    """The effective control map of the tenant ``tenant_ref`` (handle, tenant id or domain)."""
    return controlmap_effective_map(workspace, tenant_ref)
