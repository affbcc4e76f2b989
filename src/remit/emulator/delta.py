"""Delta queries on directory collections (``users/delta``, ``groups/delta``, ...).

A full sync pages through the collection; its last page carries ``@odata.deltaLink`` with a
``$deltatoken`` recording the tenant's change version when the sync started. A call with that
token returns only objects changed since (with the selected properties) and removed ones as
``{"id": ..., "@removed": {"reason": ...}}``. Tokens older than the delta lifetime (7 days of
emulated time), tokens from another server run, and tokens hit by a ``delta_expired`` fault answer
410 Gone with ``syncStateNotFound``: the client must start a full sync again.
"""

from __future__ import annotations

from typing import Any

from remit.emulator.odata import check_properties, project
from remit.emulator.resources import ReadContext, context_url
from remit.emulator.responses import GraphError, GraphResult, unknown_segment
from remit.emulator.schema import USER_DEFAULT_PROPERTIES

DELTA_COLLECTIONS = frozenset(
    {"users", "groups", "directoryRoles", "applications", "servicePrincipals",
     "administrativeUnits", "devices"}
)  # fmt: skip
DEFAULT_DELTA_PAGE = 100
MAX_DELTA_PAGE = 999


def sync_state_not_found() -> GraphError:
    return GraphError(
        410,
        "syncStateNotFound",
        "The sync state generation is not found. The delta token is expired and data must be "
        "synchronized again.",
    )


def _page_size(ctx: ReadContext) -> int:
    prefer = ctx.headers.get("prefer", "")
    for part in prefer.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "odata.maxpagesize" and value.strip().isdigit():
            return max(1, min(int(value), MAX_DELTA_PAGE))
    return DEFAULT_DELTA_PAGE


def _entries(ctx: ReadContext, key: str, since: int | None) -> list[tuple[str, Any]]:
    """("item", obj) for current objects (changed after ``since``), ("removed", (id, reason))."""
    coll = ctx.tenant.collection(key)
    items = coll.items if coll is not None else []
    if since is None:
        return [("item", item) for item in items]
    versions = ctx.tenant.versions.get(key, {})
    changed = sorted(
        (versions.get(str(item["id"]), 0), index, item)
        for index, item in enumerate(items)
        if versions.get(str(item["id"]), 0) > since
    )
    out: list[tuple[str, Any]] = [("item", item) for _v, _i, item in changed]
    removed = ctx.tenant.removed.get(key, {})
    out += [("removed", (ident, reason)) for ident, (v, reason) in removed.items() if v > since]
    return out


def read_delta(ctx: ReadContext, key: str, *, expired: bool) -> GraphResult:
    if key not in DELTA_COLLECTIONS:
        raise unknown_segment("delta")
    tenant, options, signer = ctx.tenant, ctx.options, ctx.signer
    now = ctx.now
    if options.deltatoken is not None:
        state = signer.unseal(options.deltatoken)
        if (
            expired
            or state is None
            or state.get("kind") != "delta"
            or state.get("t") != tenant.tenant_id
            or state.get("k") != key
            or now - float(state["at"]) > ctx.delta_lifetime
        ):
            raise sync_state_not_found()
        select, since, watermark, offset = state["s"], int(state["w"]), tenant.version, 0
    elif options.skiptoken is not None:
        state = signer.unseal(options.skiptoken)
        if (
            state is None
            or state.get("kind") != "deltapage"
            or state.get("t") != tenant.tenant_id
            or state.get("k") != key
        ):
            raise sync_state_not_found()
        select, since, watermark = state["s"], state["since"], int(state["w"])
        offset = int(state["o"])
    else:
        select = list(options.select) if options.select is not None else None
        since, watermark, offset = None, tenant.version, 0
        if select is not None:
            check_properties(key, tuple(select))
    entries = _entries(ctx, key, since)
    size = _page_size(ctx)
    page = entries[offset : offset + size]
    names = tuple(select) if select is not None else None
    default = USER_DEFAULT_PROPERTIES if key == "users" else None
    value: list[dict[str, Any]] = []
    for kind, entry in page:
        if kind == "item":
            shown = project(entry, names, default)
            shown.setdefault("id", entry["id"])
            value.append(shown)
        else:
            ident, reason = entry
            value.append({"id": ident, "@removed": {"reason": reason}})
    payload: dict[str, Any] = {"@odata.context": context_url(ctx, key, names, False)}
    base = f"{ctx.base_url}/v1.0/{key}/delta"
    if offset + size < len(entries):
        token = signer.seal(
            {"kind": "deltapage", "t": tenant.tenant_id, "k": key, "s": select, "since": since,
             "w": watermark, "o": offset + size}
        )  # fmt: skip
        payload["@odata.nextLink"] = f"{base}?$skiptoken={token}"
    else:
        token = signer.seal(
            {"kind": "delta", "t": tenant.tenant_id, "k": key, "s": select, "w": watermark,
             "at": now}
        )  # fmt: skip
        payload["@odata.deltaLink"] = f"{base}?$deltatoken={token}"
    payload["value"] = value
    return GraphResult(200, payload)
