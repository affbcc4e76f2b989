"""Use case: control maps and layered baselines (the MSP default, tiers, tenant overrides),
their revisions, YAML import and export, and seeding approvals from a snapshot.

Others call :func:`effective_map` (a tenant's merged map) and :func:`active_exceptions` (the
exceptions that count on a day).
"""

from remit.controlmap.service import effective_map, effective_map_in
from remit.governance.expiry import active_exceptions

__all__ = ["active_exceptions", "effective_map", "effective_map_in"]
