"""Reading Graph resources out of a tenant's fixture-format data.

A path is served from the data key with that exact name; otherwise the longest collection prefix
is found and the next segment looked up by id (``users/{id}``, also by userPrincipalName), then
the rest of the path is served from the data key named with the canonical id
(``users/<id>/authentication/methods``) or from what Graph would answer for an object that has
none (an empty ``members``, the password method). Collections are filtered, sorted, projected and
paged with opaque, signed ``$skiptoken`` nextLinks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from remit.emulator.endpoints import Endpoint
from remit.emulator.odata import (
    QueryOptions,
    apply_expand,
    check_properties,
    parse_query,
    project,
    sort_items,
)
from remit.emulator.responses import (
    TEXT_PLAIN,
    GraphError,
    GraphResult,
    not_found,
    unknown_segment,
)
from remit.emulator.schema import (
    NAVIGATION,
    REFERENCE_COLLECTIONS,
    TYPE_NAMES,
    USER_DEFAULT_PROPERTIES,
)
from remit.emulator.tenants import TenantState
from remit.emulator.tokens import TokenSigner

# Collections Graph always has: served empty when the data does not carry them.
KNOWN_COLLECTIONS = frozenset(
    {
        "users", "groups", "directoryRoles", "applications", "servicePrincipals", "domains",
        "subscribedSkus", "devices", "organization", "administrativeUnits",
        "roleManagement/directory/roleDefinitions", "roleManagement/directory/roleAssignments",
        "roleManagement/directory/roleEligibilitySchedules",
        "roleManagement/directory/roleAssignmentSchedules",
        "roleManagement/directory/roleEligibilityScheduleInstances",
        "roleManagement/directory/roleAssignmentScheduleInstances",
        "policies/roleManagementPolicyAssignments", "policies/roleManagementPolicies",
        "identity/conditionalAccess/policies", "identity/conditionalAccess/namedLocations",
        "reports/authenticationMethods/userRegistrationDetails", "security/secureScores",
        "security/secureScoreControlProfiles", "deviceManagement/managedDevices",
        "auditLogs/directoryAudits", "auditLogs/signIns",
    }
)  # fmt: skip
KNOWN_SINGLETONS = frozenset(
    {
        "policies/authorizationPolicy", "policies/identitySecurityDefaultsEnforcementPolicy",
        "policies/adminConsentRequestPolicy", "policies/authenticationMethodsPolicy",
        "policies/defaultAppManagementPolicy",
    }
)  # fmt: skip
_KNOWN_PREFIXES = frozenset(
    "/".join(key.split("/")[: i + 1])
    for key in KNOWN_COLLECTIONS | KNOWN_SINGLETONS
    for i in range(key.count("/") + 1)
)
_EMPTY_WHEN_MISSING = frozenset(
    {"members", "owners", "memberOf", "transitiveMemberOf", "transitiveMembers", "scopedMembers"}
)
PASSWORD_METHOD_ID = "28c10230-6103-485e-b985-444c60001490"


def expired_page_token() -> GraphError:
    return GraphError(
        400,
        "Directory_ExpiredPageToken",
        "The specified page token value has expired and can no longer be included in your request.",
    )


_FILTER_CACHE_LIMIT = 256


@dataclass
class ReadContext:
    tenant: TenantState
    signer: TokenSigner
    base_url: str
    path: str
    params: dict[str, str]  # normalised (no '$', lower-case names)
    headers: Mapping[str, str]  # lower-case names
    options: QueryOptions
    endpoint: Endpoint
    now: float = 0.0  # emulated POSIX time
    delta_lifetime: float = 7 * 24 * 3600.0

    @property
    def eventual(self) -> bool:
        return self.headers.get("consistencylevel", "").lower() == "eventual"


@dataclass
class Located:
    key: str
    items: list[dict[str, Any]] | None = None  # a collection
    item: dict[str, Any] | None = None  # one object (from a collection, or a singleton)
    in_collection: bool = False


def locate(tenant: TenantState, path: str) -> Located:
    data = tenant.spec.data
    body = data.get(path)
    if isinstance(body, dict):
        if isinstance(body.get("value"), list):
            return Located(path, items=body["value"])
        return Located(path, item=body)
    segments = path.split("/")
    for split in range(len(segments) - 1, 0, -1):
        prefix = "/".join(segments[:split])
        coll = tenant.collection(prefix)
        if coll is None:
            if prefix in KNOWN_COLLECTIONS and prefix not in data:
                raise not_found(segments[split])  # a collection this tenant has none of
            continue
        item = coll.find(segments[split])
        if item is None:
            raise not_found(segments[split])
        rest = segments[split + 1 :]
        if not rest:
            return Located(prefix, item=item, in_collection=True)
        canonical = "/".join([prefix, str(item["id"]), *rest])
        if canonical in data:
            return locate(tenant, canonical)
        return _implicit(prefix, item, rest)
    if path in KNOWN_COLLECTIONS:
        return Located(path, items=[])
    if path in KNOWN_SINGLETONS:
        raise not_found(segments[-1])
    for i, segment in enumerate(segments):
        prefix = "/".join(segments[: i + 1])
        if prefix not in _KNOWN_PREFIXES and not any(
            key == prefix or key.startswith(prefix + "/") for key in data
        ):
            raise unknown_segment(segment)
    raise unknown_segment(segments[-1])


def _implicit(prefix: str, item: dict[str, Any], rest: list[str]) -> Located:
    key = "/".join([prefix, str(item["id"]), *rest])
    if prefix == "users" and rest == ["authentication", "methods"]:
        method = {
            "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
            "id": PASSWORD_METHOD_ID,
            "password": None,
            "createdDateTime": item.get("createdDateTime"),
        }
        return Located(key, items=[method])
    if len(rest) == 1 and rest[0] in _EMPTY_WHEN_MISSING:
        return Located(key, items=[])
    if rest[0] in NAVIGATION.get(prefix, frozenset()):
        raise not_found(rest[0])
    raise unknown_segment(rest[0])


# ---- shaping ---------------------------------------------------------------------------------


def _type_label(key: str) -> str:
    name = TYPE_NAMES.get(key, "microsoft.graph.entity").rsplit(".", 1)[-1]
    return name[:1].upper() + name[1:]


def context_url(ctx: ReadContext, key: str, select: tuple[str, ...] | None, entity: bool) -> str:
    url = f"{ctx.base_url}/v1.0/$metadata#{key}"
    if select:
        url += f"({','.join(select)})"
    return url + ("/$entity" if entity else "")


def shape(ctx: ReadContext, key: str, item: Mapping[str, Any], options: QueryOptions) -> Any:
    default = USER_DEFAULT_PROPERTIES if key == "users" else None
    shown = project(item, options.select, default)
    if options.expand or key in NAVIGATION:

        def resolve(name: str, ident: str) -> dict[str, Any] | None:
            targets = REFERENCE_COLLECTIONS.get(name, ())
            found = ctx.tenant.find_reference([k for k, _ in targets], ident)
            if found is None:
                return None
            odata_type = dict(targets)[found[0]]
            return {"@odata.type": odata_type, **found[1]}

        apply_expand(key, item, shown, options.expand, resolve)
    return shown


def _strip_annotations(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if not k.startswith("@odata.") or k == "@odata.type"}


# ---- validation ------------------------------------------------------------------------------


def validate(ctx: ReadContext, key: str, options: QueryOptions, *, collection: bool) -> None:
    names: set[str] = set(options.select or ())
    if options.filter is not None:
        names |= options.filter.properties
    names |= {name.split("/")[0] for name, _ in options.orderby}
    check_properties(key, tuple(sorted(names)))
    if not collection:
        return
    endpoint = ctx.endpoint
    if options.top is not None:
        limit = endpoint.max_top
        if key == "users" and options.select and "signInActivity" in options.select:
            limit = min(limit, 500)
        if not 1 <= options.top <= limit:
            raise GraphError(
                400,
                "Request_UnsupportedQuery",
                f"Invalid page size specified: '{options.top}'. "
                f"Must be between 1 and {limit} inclusive.",
            )
    if not endpoint.directory_object:
        return
    if options.count and not ctx.eventual:
        raise count_needs_eventual()
    advanced = options.filter.advanced if options.filter is not None else None
    if advanced is not None and not (ctx.eventual and options.count):
        construct, prop = advanced
        raise GraphError(
            400,
            "Request_UnsupportedQuery",
            f"Unsupported or invalid query filter clause specified for property "
            f"'{prop or construct}' of resource '{_type_label(key)}'.",
        )
    if options.search is not None and not ctx.eventual:
        raise GraphError(
            400,
            "Request_BadRequest",
            "Request with $search query parameter only works through MSGraph with a special "
            "request header: 'ConsistencyLevel: eventual'",
        )


def count_needs_eventual() -> GraphError:
    return GraphError(
        400,
        "Request_BadRequest",
        "$count is not currently supported: on directory objects it requires the "
        "ConsistencyLevel header set to eventual.",
    )


def _search_matches(search: str, item: Mapping[str, Any]) -> bool:
    text = search.strip()
    mode_all = " AND " in text
    clauses = [c.strip().strip('"') for c in text.replace(" AND ", " OR ").split(" OR ")]
    results = []
    for clause in clauses:
        prop, _, value = clause.partition(":")
        actual = item.get(prop.strip())
        results.append(isinstance(actual, str) and value.strip().lower() in actual.lower())
    return all(results) if mode_all else any(results)


def matching_items(
    ctx: ReadContext, key: str, items: list[dict[str, Any]], options: QueryOptions
) -> list[dict[str, Any]]:
    if options.filter is None and not options.orderby and options.search is None:
        return items
    cache_key = (
        "items",
        key,
        options.filter.text if options.filter else None,
        options.orderby,
        options.search,
    )
    cached = ctx.tenant.cache.get(cache_key)
    if cached is not None:
        return list(cached)
    found = [i for i in items if options.filter is None or options.filter.matches(i)]
    if options.search is not None:
        found = [i for i in found if _search_matches(options.search, i)]
    if options.orderby:
        sort_items(found, options.orderby)
    if len(ctx.tenant.cache) >= _FILTER_CACHE_LIMIT:
        ctx.tenant.cache.clear()
    ctx.tenant.cache[cache_key] = found
    return found


# ---- answers ---------------------------------------------------------------------------------


def read_collection(ctx: ReadContext, key: str, items: list[dict[str, Any]]) -> GraphResult:
    options, params, offset = ctx.options, ctx.params, 0
    if options.skiptoken is not None:
        state = ctx.signer.unseal(options.skiptoken)
        if (
            state is None
            or state.get("kind") != "page"
            or state.get("t") != ctx.tenant.tenant_id
            or state.get("p") != ctx.path
        ):
            raise expired_page_token()
        params, offset = dict(state["q"]), int(state["o"])
        options = parse_query(params)
    validate(ctx, key, options, collection=True)
    found = matching_items(ctx, key, items, options)
    size = options.top or ctx.endpoint.default_page
    page = found[offset : offset + size]
    payload: dict[str, Any] = {"@odata.context": context_url(ctx, key, options.select, False)}
    if options.count and offset == 0:
        payload["@odata.count"] = len(found)
    if offset + size < len(found):
        token = ctx.signer.seal(
            {"kind": "page", "t": ctx.tenant.tenant_id, "p": ctx.path, "q": params,
             "o": offset + size}
        )  # fmt: skip
        payload["@odata.nextLink"] = f"{ctx.base_url}/v1.0/{ctx.path}?$skiptoken={token}"
    payload["value"] = [shape(ctx, key, item, options) for item in page]
    return GraphResult(200, payload)


def read_object(ctx: ReadContext, located: Located) -> GraphResult:
    assert located.item is not None
    validate(ctx, located.key, ctx.options, collection=False)
    if located.in_collection:
        payload = shape(ctx, located.key, located.item, ctx.options)
    else:
        payload = project(_strip_annotations(located.item), ctx.options.select)
    context = context_url(ctx, located.key, ctx.options.select, True)
    return GraphResult(200, {"@odata.context": context, **payload})


def read_count(ctx: ReadContext, path: str) -> GraphResult:
    located = locate(ctx.tenant, path)
    if located.items is None:
        raise unknown_segment("$count")
    if ctx.endpoint.directory_object and not ctx.eventual:
        raise count_needs_eventual()
    validate(ctx, located.key, ctx.options, collection=False)
    options = QueryOptions(filter=ctx.options.filter, search=ctx.options.search)
    found = matching_items(ctx, located.key, located.items, options)
    return GraphResult(200, len(found), content_type=TEXT_PLAIN)


def read(ctx: ReadContext) -> GraphResult:
    segments = ctx.path.split("/")
    if len(segments) > 1 and segments[-1] == "$count":
        return read_count(ctx, "/".join(segments[:-1]))
    located = locate(ctx.tenant, ctx.path)
    if located.items is not None:
        return read_collection(ctx, located.key, located.items)
    return read_object(ctx, located)
