"""Check Graph-shaped JSON against Microsoft's own v1.0 metadata (the CSDL is the contract).

``validate(type_name, obj)`` checks one object against an entity or complex type and returns every
problem found, each prefixed with a JSON-pointer-like path::

    users.value[3].signInActivity.lastSignInDateTime: expected Edm.DateTimeOffset, got 12

What is checked: every property name exists on the type, its base types, or the derived type named
by ``@odata.type`` (which must derive from the declared type); every value has the JSON type its
EDM type needs (strings, GUIDs, durations, dates, timestamps with a time zone, base64, integers that
are not booleans, numbers, enum members, flags as comma-separated members); complex values and
expanded navigation properties are checked recursively; ``null`` only where ``Nullable`` is not
``"false"``. Instance annotations (any key containing ``@``) are always allowed.

Open types: Graph marks directory objects (``user``, ``group``, ...) as open only so that directory
extension properties (``extension_<appId>_<name>``) can appear. Treating them as fully open would
let every typo through, so an undeclared property on an open type is accepted only when it is a
directory extension, or when the type declares no properties at all (a free-form bag).

``validate_fixture(data)`` checks a whole fixture (``{graph path: body}``, see
``remit.emulator.model``) using ``PATH_TYPES`` to find the item type of each key.

The CSDL is found beside the repository (``../shared/reference/graph/v1.0-Prod.csdl``) or in the
folder named by ``REMIT_GRAPH_REFERENCE``; it is parsed once per process.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "PATH_TYPES",
    "CsdlSchema",
    "csdl_path",
    "load_schema",
    "type_for_key",
    "validate",
    "validate_fixture",
]

CSDL_FILE = "v1.0-Prod.csdl"
ENV_OVERRIDE = "REMIT_GRAPH_REFERENCE"

_EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
_EDMX = "{http://docs.oasis-open.org/odata/ns/edmx}"

# Fixture keys (Graph v1.0 paths relative to /v1.0/, ``{id}`` for any one segment) -> the type of
# the object (single-object keys) or of each item (collection keys, bodies ``{"value": [...]}``).
PATH_TYPES: dict[str, str] = {
    "organization": "microsoft.graph.organization",
    "domains": "microsoft.graph.domain",
    "subscribedSkus": "microsoft.graph.subscribedSku",
    "users": "microsoft.graph.user",
    "users/{id}": "microsoft.graph.user",
    "users/{id}/authentication/methods": "microsoft.graph.authenticationMethod",
    "users/{id}/memberOf": "microsoft.graph.directoryObject",
    "users/{id}/transitiveMemberOf": "microsoft.graph.directoryObject",
    "users/{id}/manager": "microsoft.graph.directoryObject",
    "users/{id}/licenseDetails": "microsoft.graph.licenseDetails",
    "users/{id}/mailboxSettings": "microsoft.graph.mailboxSettings",
    "users/{id}/messages": "microsoft.graph.message",
    "users/{id}/mailFolders": "microsoft.graph.mailFolder",
    "users/{id}/mailFolders/{id}/messages": "microsoft.graph.message",
    "users/{id}/mailFolders/{id}/childFolders": "microsoft.graph.mailFolder",
    "users/{id}/events": "microsoft.graph.event",
    "users/{id}/contacts": "microsoft.graph.contact",
    "users/{id}/drive": "microsoft.graph.drive",
    "groups": "microsoft.graph.group",
    "groups/{id}": "microsoft.graph.group",
    "groups/{id}/members": "microsoft.graph.directoryObject",
    "groups/{id}/transitiveMembers": "microsoft.graph.directoryObject",
    "groups/{id}/owners": "microsoft.graph.directoryObject",
    "groups/{id}/drive": "microsoft.graph.drive",
    "groups/{id}/team": "microsoft.graph.team",
    "directoryRoles": "microsoft.graph.directoryRole",
    "directoryRoles/{id}/members": "microsoft.graph.directoryObject",
    "directoryRoleTemplates": "microsoft.graph.directoryRoleTemplate",
    "roleManagement/directory/roleDefinitions": "microsoft.graph.unifiedRoleDefinition",
    "roleManagement/directory/roleAssignments": "microsoft.graph.unifiedRoleAssignment",
    "roleManagement/directory/roleEligibilitySchedules": (
        "microsoft.graph.unifiedRoleEligibilitySchedule"
    ),
    "roleManagement/directory/roleAssignmentSchedules": (
        "microsoft.graph.unifiedRoleAssignmentSchedule"
    ),
    "roleManagement/directory/roleEligibilityScheduleInstances": (
        "microsoft.graph.unifiedRoleEligibilityScheduleInstance"
    ),
    "roleManagement/directory/roleAssignmentScheduleInstances": (
        "microsoft.graph.unifiedRoleAssignmentScheduleInstance"
    ),
    "policies/roleManagementPolicies": "microsoft.graph.unifiedRoleManagementPolicy",
    "policies/roleManagementPolicyAssignments": (
        "microsoft.graph.unifiedRoleManagementPolicyAssignment"
    ),
    "identity/conditionalAccess/policies": "microsoft.graph.conditionalAccessPolicy",
    "identity/conditionalAccess/namedLocations": "microsoft.graph.namedLocation",
    "identity/conditionalAccess/authenticationStrength/policies": (
        "microsoft.graph.authenticationStrengthPolicy"
    ),
    "policies/authenticationMethodsPolicy": "microsoft.graph.authenticationMethodsPolicy",
    "policies/authenticationStrengthPolicies": "microsoft.graph.authenticationStrengthPolicy",
    "policies/authorizationPolicy": "microsoft.graph.authorizationPolicy",
    "policies/identitySecurityDefaultsEnforcementPolicy": (
        "microsoft.graph.identitySecurityDefaultsEnforcementPolicy"
    ),
    "policies/adminConsentRequestPolicy": "microsoft.graph.adminConsentRequestPolicy",
    "policies/defaultAppManagementPolicy": "microsoft.graph.tenantAppManagementPolicy",
    "policies/crossTenantAccessPolicy": "microsoft.graph.crossTenantAccessPolicy",
    "policies/crossTenantAccessPolicy/default": (
        "microsoft.graph.crossTenantAccessPolicyConfigurationDefault"
    ),
    "policies/permissionGrantPolicies": "microsoft.graph.permissionGrantPolicy",
    "reports/authenticationMethods/userRegistrationDetails": (
        "microsoft.graph.userRegistrationDetails"
    ),
    "security/secureScores": "microsoft.graph.secureScore",
    "security/secureScoreControlProfiles": "microsoft.graph.secureScoreControlProfile",
    "security/alerts_v2": "microsoft.graph.security.alert",
    "security/incidents": "microsoft.graph.security.incident",
    "identityProtection/riskyUsers": "microsoft.graph.riskyUser",
    "identityProtection/riskDetections": "microsoft.graph.riskDetection",
    "deviceManagement/managedDevices": "microsoft.graph.managedDevice",
    "deviceManagement/deviceCompliancePolicies": "microsoft.graph.deviceCompliancePolicy",
    "devices": "microsoft.graph.device",
    "applications": "microsoft.graph.application",
    "servicePrincipals": "microsoft.graph.servicePrincipal",
    "servicePrincipals/{id}/appRoleAssignments": "microsoft.graph.appRoleAssignment",
    "servicePrincipals/{id}/appRoleAssignedTo": "microsoft.graph.appRoleAssignment",
    "oauth2PermissionGrants": "microsoft.graph.oAuth2PermissionGrant",
    "auditLogs/directoryAudits": "microsoft.graph.directoryAudit",
    "auditLogs/signIns": "microsoft.graph.signIn",
    "sites": "microsoft.graph.site",
    "sites/{id}/drives": "microsoft.graph.drive",
    "drives/{id}": "microsoft.graph.drive",
    "drives/{id}/root/children": "microsoft.graph.driveItem",
    "drives/{id}/items/{id}/children": "microsoft.graph.driveItem",
    "teams/{id}/channels": "microsoft.graph.channel",
    "teams/{id}/channels/{id}/messages": "microsoft.graph.chatMessage",
    "admin/sharepoint/settings": "microsoft.graph.sharepointSettings",
    "tenantRelationships/delegatedAdminRelationships": (
        "microsoft.graph.delegatedAdminRelationship"
    ),
}

# Keys a fixture may carry that are not Graph paths (the emulator's own metadata).
RESERVED_KEYS = frozenset({"_emulator"})

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?$")
_DURATION = re.compile(
    r"^-?P(?!$)(\d+(\.\d+)?D)?(T(?!$)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
)
_EXTENSION = re.compile(r"^extension_[0-9a-fA-F]{32}_\w+$")
_INT_RANGES = {
    "Edm.Byte": (0, 255),
    "Edm.SByte": (-128, 127),
    "Edm.Int16": (-(2**15), 2**15 - 1),
    "Edm.Int32": (-(2**31), 2**31 - 1),
    "Edm.Int64": (-(2**63), 2**63 - 1),
}
_FLOAT_TYPES = frozenset({"Edm.Double", "Edm.Single", "Edm.Decimal"})
_ANY_TYPES = frozenset({"Edm.Untyped", "Edm.PrimitiveType", "Edm.Stream"})


@dataclass(frozen=True, slots=True)
class PropertyDef:
    name: str
    type_name: str  # fully qualified element type ("Edm.String", "microsoft.graph.user")
    is_collection: bool
    nullable: bool
    is_navigation: bool


@dataclass(frozen=True, slots=True)
class StructuredType:
    name: str  # fully qualified
    kind: str  # "entity" or "complex"
    base: str | None
    abstract: bool
    open_type: bool
    properties: Mapping[str, PropertyDef]  # declared on this type only


@dataclass(frozen=True, slots=True)
class EnumDef:
    name: str
    members: frozenset[str]
    flags: bool


class CsdlSchema:
    """The structured and enum types of a CSDL document, with aliases resolved."""

    def __init__(
        self,
        types: dict[str, StructuredType],
        enums: dict[str, EnumDef],
        aliases: dict[str, str] | None = None,
    ) -> None:
        self.types = types
        self.enums = enums
        self.aliases = (
            aliases or {}
        )  # alias or namespace -> namespace ("graph" -> "microsoft.graph")
        self._all_props: dict[str, dict[str, PropertyDef]] = {}
        self._open: dict[str, bool] = {}

    @classmethod
    def parse(cls, path: Path) -> CsdlSchema:
        root = ET.parse(path).getroot()  # noqa: S314 - Microsoft's published metadata, local file
        schemas = list(root.iter(f"{_EDM}Schema"))
        aliases: dict[str, str] = {}
        for schema in schemas:
            namespace = schema.attrib["Namespace"]
            aliases[namespace] = namespace
            if "Alias" in schema.attrib:
                aliases[schema.attrib["Alias"]] = namespace

        def qualify(name: str) -> str:
            if name.startswith("Edm."):
                return name
            prefix, _, local = name.rpartition(".")
            return f"{aliases.get(prefix, prefix)}.{local}"

        types: dict[str, StructuredType] = {}
        enums: dict[str, EnumDef] = {}
        for schema in schemas:
            namespace = schema.attrib["Namespace"]
            for element in schema:
                tag = element.tag.removeprefix(_EDM)
                full = f"{namespace}.{element.attrib.get('Name', '')}"
                if tag == "EnumType":
                    members = frozenset(m.attrib["Name"] for m in element.iter(f"{_EDM}Member"))
                    flags = element.attrib.get("IsFlags") == "true"
                    enums[full] = EnumDef(full, members, flags)
                elif tag in ("EntityType", "ComplexType"):
                    props: dict[str, PropertyDef] = {}
                    for child in element:
                        child_tag = child.tag.removeprefix(_EDM)
                        if child_tag not in ("Property", "NavigationProperty"):
                            continue
                        raw = child.attrib["Type"]
                        is_collection = raw.startswith("Collection(")
                        inner = raw[len("Collection(") : -1] if is_collection else raw
                        props[child.attrib["Name"]] = PropertyDef(
                            name=child.attrib["Name"],
                            type_name=qualify(inner),
                            is_collection=is_collection,
                            nullable=child.attrib.get("Nullable", "true") != "false",
                            is_navigation=child_tag == "NavigationProperty",
                        )
                    base = element.attrib.get("BaseType")
                    types[full] = StructuredType(
                        name=full,
                        kind="entity" if tag == "EntityType" else "complex",
                        base=qualify(base) if base else None,
                        abstract=element.attrib.get("Abstract") == "true",
                        open_type=element.attrib.get("OpenType") == "true",
                        properties=props,
                    )
        return cls(types, enums, aliases)

    def resolve(self, type_name: str) -> str:
        """Qualify a type name: ``graph.user``, ``user`` and ``#microsoft.graph.user`` all work."""
        name = type_name.removeprefix("#")
        if name in self.types or name in self.enums or name.startswith("Edm."):
            return name
        prefix, _, local = name.rpartition(".")
        if not prefix:
            return f"microsoft.graph.{local}"
        return f"{self.aliases.get(prefix, prefix)}.{local}"

    def chain(self, type_name: str) -> list[StructuredType]:
        """The type and its base types, most derived first."""
        out: list[StructuredType] = []
        current: str | None = type_name
        while current is not None:
            structured = self.types[current]
            out.append(structured)
            current = structured.base
        return out

    def properties(self, type_name: str) -> dict[str, PropertyDef]:
        """Every property (structural and navigation) of a type, including inherited ones."""
        cached = self._all_props.get(type_name)
        if cached is None:
            cached = {}
            for structured in reversed(self.chain(type_name)):
                cached.update(structured.properties)
            self._all_props[type_name] = cached
        return cached

    def is_open(self, type_name: str) -> bool:
        cached = self._open.get(type_name)
        if cached is None:
            cached = self._open[type_name] = any(t.open_type for t in self.chain(type_name))
        return cached

    def derives_from(self, type_name: str, base: str) -> bool:
        return any(t.name == base for t in self.chain(type_name))


def csdl_path() -> Path:
    """Where the CSDL is: ``$REMIT_GRAPH_REFERENCE`` or the repository's sibling ``shared/``."""
    override = os.environ.get(ENV_OVERRIDE)
    folder = (
        Path(override)
        if override
        else Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "graph"
    )
    return folder / CSDL_FILE if folder.is_dir() else folder


@lru_cache(maxsize=4)
def _load(path: Path) -> CsdlSchema:
    if not path.is_file():
        raise FileNotFoundError(
            f"Graph CSDL not found at {path}; put the shared reference beside the repository "
            f"or set {ENV_OVERRIDE} to the folder holding {CSDL_FILE}"
        )
    return CsdlSchema.parse(path)


def load_schema() -> CsdlSchema:
    """The parsed CSDL (cached: parsed once per process)."""
    return _load(csdl_path())


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _at(path: str) -> str:
    return path or "(root)"


class _Validator:
    def __init__(self, schema: CsdlSchema) -> None:
        self.schema = schema
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{_at(path)}: {message}")

    def value(self, path: str, type_name: str, value: Any, *, nullable: bool) -> None:
        if value is None:
            if not nullable:
                self.problem(path, f"null is not allowed for {type_name}")
            return
        if type_name.startswith("Edm."):
            self.primitive(path, type_name, value)
        elif type_name in self.schema.enums:
            self.enum(path, self.schema.enums[type_name], value)
        elif type_name in self.schema.types:
            self.structured(path, type_name, value)
        else:
            self.problem(path, f"type {type_name} is not in the CSDL")

    def primitive(self, path: str, edm: str, value: Any) -> None:
        ok: bool
        if edm in _ANY_TYPES:
            return
        if edm == "Edm.Boolean":
            ok = isinstance(value, bool)
        elif edm in _INT_RANGES:
            low, high = _INT_RANGES[edm]
            ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        elif edm in _FLOAT_TYPES:
            ok = (isinstance(value, int | float) and not isinstance(value, bool)) or value in (
                "NaN",
                "INF",
                "-INF",
            )
        elif not isinstance(value, str):
            ok = False
        elif edm == "Edm.String":
            ok = True
        elif edm == "Edm.Guid":
            ok = bool(_GUID.match(value))
        elif edm == "Edm.DateTimeOffset":
            ok = bool(_DATETIME.match(value)) and _parses_datetime(value)
        elif edm == "Edm.Date":
            ok = bool(_DATE.match(value)) and _parses_date(value)
        elif edm == "Edm.TimeOfDay":
            ok = bool(_TIME.match(value))
        elif edm == "Edm.Duration":
            ok = bool(_DURATION.match(value))
        elif edm == "Edm.Binary":
            ok = _is_base64(value)
        else:  # geography, geometry and other rarely used primitives: accept any JSON value
            ok = True
        if not ok:
            self.problem(path, f"expected {edm}, got {_show(value)}")

    def enum(self, path: str, enum: EnumDef, value: Any) -> None:
        if not isinstance(value, str):
            self.problem(path, f"expected a member of {enum.name}, got {_show(value)}")
            return
        names = [part.strip() for part in value.split(",")] if enum.flags else [value]
        bad = [name for name in names if name not in enum.members]
        if bad or not names:
            self.problem(path, f"{_show(value)} is not a member of {enum.name}")

    def structured(self, path: str, declared: str, value: Any) -> None:
        if not isinstance(value, dict):
            self.problem(path, f"expected an object of type {declared}, got {_show(value)}")
            return
        actual = declared
        odata_type = value.get("@odata.type")
        if odata_type is not None:
            if not isinstance(odata_type, str) or not odata_type.startswith("#"):
                self.problem(
                    path,
                    f"@odata.type must be a string like '#microsoft.graph.x', "
                    f"got {_show(odata_type)}",
                )
                return
            named = self.schema.resolve(odata_type)
            if named not in self.schema.types:
                self.problem(path, f"@odata.type {odata_type} is not a type in the CSDL")
                return
            if not self.schema.derives_from(named, declared):
                self.problem(path, f"@odata.type {odata_type} does not derive from {declared}")
                return
            actual = named
        props = self.schema.properties(actual)
        is_open = self.schema.is_open(actual)
        for key, item in value.items():
            if "@" in key:
                continue  # instance annotations: @odata.type, @odata.nextLink, prop@odata.type
            where = f"{path}.{key}" if path else key
            prop = props.get(key)
            if prop is None:
                if is_open and (_EXTENSION.match(key) or not props.keys() - {"id"}):
                    continue
                self.problem(where, f"no property '{key}' on {actual}")
                continue
            if prop.is_collection:
                if item is None:
                    if not prop.nullable:
                        self.problem(where, f"null is not allowed for Collection({prop.type_name})")
                    continue
                if not isinstance(item, list):
                    self.problem(where, f"expected Collection({prop.type_name}), got {_show(item)}")
                    continue
                for index, element in enumerate(item):
                    self.value(f"{where}[{index}]", prop.type_name, element, nullable=False)
            else:
                self.value(where, prop.type_name, item, nullable=prop.nullable)


def _parses_datetime(value: str) -> bool:
    text = value[:-1] + "+00:00" if value[-1] in "zZ" else value
    head, dot, rest = text.partition(".")
    if dot:  # Python wants at most 6 fractional digits before 3.11's relaxed parsing quirks
        digits = re.match(r"\d+", rest)
        frac = digits.group(0) if digits else ""
        text = f"{head}.{frac[:6].ljust(6, '0')}{rest[len(frac) :]}"
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _parses_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_base64(value: str) -> bool:
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            continue
        if re.fullmatch(r"[A-Za-z0-9+/_\-]*={0,2}", value):
            return True
    return False


def validate(type_name: str, obj: Any, *, path: str = "") -> list[str]:
    """Every problem of ``obj`` against entity or complex type ``type_name`` (empty list: valid).

    ``type_name`` may be qualified (``microsoft.graph.user``), aliased (``graph.user``) or bare
    (``user``). ``path`` prefixes each message (``users.value[3]``).
    """
    return _validate(load_schema(), type_name, obj, path)


def _validate(schema: CsdlSchema, type_name: str, obj: Any, path: str) -> list[str]:
    name = schema.resolve(type_name)
    if name not in schema.types:
        raise KeyError(f"{type_name!r} is not an entity or complex type in the CSDL")
    validator = _Validator(schema)
    validator.structured(path, name, obj)
    return validator.problems


def type_for_key(key: str) -> str | None:
    """The type of a fixture key's objects (``groups/<id>/members`` -> directoryObject)."""
    if key in PATH_TYPES:
        return PATH_TYPES[key]
    segments = key.split("/")
    for pattern, type_name in PATH_TYPES.items():
        parts = pattern.split("/")
        if len(parts) == len(segments) and all(
            p == "{id}" or p == s for p, s in zip(parts, segments, strict=True)
        ):
            return type_name
    return None


def validate_fixture(data: Mapping[str, Any]) -> list[str]:
    """Every problem in a fixture: unknown keys, malformed collections, invalid objects."""
    schema = load_schema()
    problems: list[str] = []
    for key, body in data.items():
        if key in RESERVED_KEYS:
            continue
        type_name = type_for_key(key)
        if type_name is None:
            problems.append(f"{key}: no type known for this path (add it to PATH_TYPES)")
            continue
        declares_value = "value" in schema.properties(schema.resolve(type_name))
        if isinstance(body, dict) and isinstance(body.get("value"), list) and not declares_value:
            for extra in body.keys() - {"value"}:
                if "@" not in extra:
                    problems.append(f"{key}.{extra}: unexpected member of a collection body")
            for index, item in enumerate(body["value"]):
                where = f"{key}.value[{index}]"
                is_entity = schema.types[schema.resolve(type_name)].kind == "entity"
                if is_entity and not (isinstance(item, dict) and isinstance(item.get("id"), str)):
                    problems.append(f"{where}: a collection item needs a string 'id'")
                    continue
                problems.extend(_validate(schema, type_name, item, where))
        else:
            problems.extend(_validate(schema, type_name, body, key))
    return problems
