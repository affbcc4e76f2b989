"""Which conditional-access policies qualify for a SCuBA Entra ID policy, and why the others do not.

The criteria follow the baseline's implementation sections and ScubaGear's Rego
(PowerShell/ScubaGear/Rego/AADConfig.rego and Rego/Utils/AAD.rego):

- only policies that are on count (``state == "enabled"``; report-only enforces nothing);
- ``PolicyConditionsMatch``: users include ``All``, resources include ``All``, no excluded roles;
- ``UserExclusionsFullyExempt`` / ``GroupExclusionsFullyExempt``: excluded users and groups
  disqualify a policy unless the agency lists them in ScubaGear's configuration. Remit has no
  such list; it accepts exclusions of emergency-access accounts (see
  :func:`~remit.posture.checks.scuba_aad_common.emergency_access_ids`), directly or as every
  member of an excluded group, and names them in the finding;
- ``HasAcceptableMFA``: an authentication strength whose allowed combinations are only
  ``windowsHelloForBusiness``, ``fido2`` and ``x509CertificateMultiFactor``.

Remit applies the state, scope and exclusion rules to every conditional-access check alike, where
ScubaGear's Rego varies (its 3.1 does not look at excluded roles, its 3.7 at no exclusion).

Where ScubaGear accepts a policy that still leaves a gap, the check says WARN rather than PASS:
conditions the SCuBA policy does not ask for (platforms, locations, risk levels, client apps,
device filters) narrow who the policy applies to (the baseline's own caution, in its
"Conditional Access Policies" section), a grant that can be satisfied by another control
("require one of": MFA *or* a compliant device), excluded guests, or excluded applications where
ScubaGear does not look at them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from remit.posture.checks.scuba_aad_common import (
    emergency_access_ids,
    name_list,
    plural,
    quoted,
)
from remit.posture.data import MissingData, TenantData
from remit.posture.model import Outcome, Resource, Status
from remit.posture.views import (
    CA_POLICIES,
    HIGHLY_PRIVILEGED_ROLES,
    display,
    role_names,
)

REGISTER_SECURITY_INFO = "urn:user:registersecurityinfo"
SECURITY_DEFAULTS = "policies/identitySecurityDefaultsEnforcementPolicy"

# ScubaGear's HasAcceptableMFA: the methods of Microsoft's built-in "Phishing-resistant MFA".
PHISHING_RESISTANT = frozenset({"windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"})
BUILT_IN_MFA_STRENGTH = "00000000-0000-0000-0000-000000000002"
BUILT_IN_PASSWORDLESS_STRENGTH = "00000000-0000-0000-0000-000000000003"
BUILT_IN_PHISHING_RESISTANT_STRENGTH = "00000000-0000-0000-0000-000000000004"
# Single authenticationMethodModes that are multifactor on their own; any combination with a
# comma ("password,sms") is two factors.
MULTIFACTOR_MODES = frozenset(
    {
        *PHISHING_RESISTANT,
        "deviceBasedPush",
        "federatedMultiFactor",
        "temporaryAccessPassOneTime",
        "temporaryAccessPassMultiUse",
    }
)
DEVICE_CONTROLS = frozenset({"compliantDevice", "domainJoinedDevice"})

Strength = dict[str, Any]
# Whether one grant control (a built-in control name, or "authenticationStrength" with the
# policy's strength) gives what a SCuBA policy asks for.
ControlTest = Callable[[str, Strength | None], bool]


def is_phishing_resistant(strength: Strength | None) -> bool:
    if not strength:
        return False
    combos = set(strength.get("allowedCombinations") or [])
    if combos:
        return combos <= PHISHING_RESISTANT
    return strength.get("id") == BUILT_IN_PHISHING_RESISTANT_STRENGTH


def is_multifactor(strength: Strength | None) -> bool:
    if not strength:
        return False
    if strength.get("requirementsSatisfied") == "mfa":
        return True
    if strength.get("id") in (
        BUILT_IN_MFA_STRENGTH,
        BUILT_IN_PASSWORDLESS_STRENGTH,
        BUILT_IN_PHISHING_RESISTANT_STRENGTH,
    ):
        return True
    combos = [str(c) for c in strength.get("allowedCombinations") or []]
    return bool(combos) and all("," in c or c in MULTIFACTOR_MODES for c in combos)


def needs_phishing_resistant(control: str, strength: Strength | None) -> bool:
    return control == "authenticationStrength" and is_phishing_resistant(strength)


def needs_mfa(control: str, strength: Strength | None) -> bool:
    return control == "mfa" or (control == "authenticationStrength" and is_multifactor(strength))


def needs_managed_device(control: str, strength: Strength | None) -> bool:
    return control in DEVICE_CONTROLS


def strings(value: Any) -> list[str]:
    """A list of strings from a Graph list, or from a flags enum sent as ``"a,b"``."""
    if isinstance(value, str):  # flags enums arrive as "a,b"
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or []]


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a qualifying policy must do, for one SCuBA policy."""

    does: str  # "blocks legacy authentication for all users": completes "No policy ..."
    block: bool = False  # grant: Block access
    grant: ControlTest | None = None  # grant: controls that must be required
    condition: Callable[[dict[str, Any]], bool] = lambda conditions: True
    own: frozenset[str] = frozenset()  # conditions that are part of the SCuBA policy
    condition_text: str = ""  # what ``condition`` selects, for "does not select ..."
    needs: str = ""  # what ``grant`` asks for, for "does not require ..."
    near: ControlTest | None = None  # a looser grant that makes a policy worth naming
    users: str = "all"  # "all" users, or the "privileged" roles
    target: str = "all-resources"  # or "register-security-info"
    strict_app_exclusions: bool = False  # ScubaGear rejects excluded applications (3.1, 3.6)


@dataclass(slots=True)
class Verdict:
    """One policy measured against one requirement."""

    policy: dict[str, Any]
    problems: list[str] = field(default_factory=list)  # why it does not qualify
    unknown: list[str] = field(default_factory=list)  # causes: data needed to decide is missing
    caveats: list[str] = field(default_factory=list)  # qualifies, but leaves a gap
    tolerated: list[str] = field(default_factory=list)  # emergency-access accounts excluded

    @property
    def name(self) -> str:
        return str(self.policy.get("displayName") or self.policy.get("id"))

    @property
    def qualifies(self) -> bool:
        return not self.problems and not self.unknown

    def resource(self) -> Resource:
        return Resource("policy", str(self.policy.get("id")), self.name)


class _Context:
    """Lookups a policy evaluation may need, read from the snapshot only when needed."""

    def __init__(self, data: TenantData) -> None:
        self.data = data
        self._emergency: set[str] | None = None
        self._emergency_gap: str | None = None
        users = data.optional_collection("users")
        groups = data.optional_collection("groups")
        self.users = {str(u.get("id")): u for u in users or []}
        self.groups = {str(g.get("id")): g for g in groups or []}
        self.roles = role_names(data)
        self.locations = {
            str(loc.get("id")): str(loc.get("displayName") or loc.get("id"))
            for loc in data.optional_collection("identity/conditionalAccess/namedLocations") or []
        }

    def emergency(self) -> tuple[set[str], str | None]:
        if self._emergency is None:
            try:
                self._emergency = emergency_access_ids(self.data)
            except MissingData as exc:
                self._emergency, self._emergency_gap = set(), exc.cause
        return self._emergency, self._emergency_gap

    def user_name(self, user_id: str) -> str:
        return display(self.users.get(user_id), user_id)

    def group_name(self, group_id: str) -> str:
        return display(self.groups.get(group_id), group_id)

    def role_name(self, template_id: str) -> str:
        return self.roles.get(template_id, template_id)


# How the finding names a grant control (conditionalAccessGrantControl).
CONTROL_NAMES = {
    "block": "block access",
    "mfa": "MFA",
    "compliantDevice": "a compliant device",
    "domainJoinedDevice": "a hybrid-joined device",
    "approvedApplication": "an approved client app",
    "compliantApplication": "an app protection policy",
    "passwordChange": "a password change",
    "riskRemediation": "risk remediation",
}


def _controls(policy: dict[str, Any]) -> tuple[list[str], Strength | None]:
    """The grant's controls as tokens: built-in control names, "authenticationStrength", and
    custom controls or terms of use (which no SCuBA policy asks for)."""
    grant = policy.get("grantControls") or {}
    strength = grant.get("authenticationStrength") or None
    controls = strings(grant.get("builtInControls"))
    if strength:
        controls.append("authenticationStrength")
    controls += [
        f"the custom control {c}" for c in strings(grant.get("customAuthenticationFactors"))
    ]
    controls += ["accepting terms of use" for _ in strings(grant.get("termsOfUse"))]
    return controls, strength


def _control_name(control: str, strength: Strength | None) -> str:
    if control == "authenticationStrength":
        return f"the authentication strength {(strength or {}).get('displayName') or 'set'}"
    return CONTROL_NAMES.get(control, control)


def grant_fit(policy: dict[str, Any], test: ControlTest) -> list[str] | None:
    """None when the grant does not ask for what ``test`` wants; otherwise what else a user could
    satisfy instead (empty: it is enforced, all controls required or only such controls)."""
    grant = policy.get("grantControls") or {}
    controls, strength = _controls(policy)
    if not any(test(c, strength) for c in controls):
        return None
    if str(grant.get("operator") or "OR").upper() == "AND" or len(controls) == 1:
        return []
    return [_control_name(c, strength) for c in controls if not test(c, strength)]


def _blocks(policy: dict[str, Any]) -> bool:
    grant = policy.get("grantControls") or {}
    return "block" in strings(grant.get("builtInControls"))


def _grant_problem(policy: dict[str, Any], req: Requirement) -> str | None:
    """Why the grant does not do what ``req`` asks (None: it does)."""
    controls, strength = _controls(policy)
    names = [_control_name(c, strength) for c in controls]
    granted = f" (it requires {name_list(names)})" if names else ""
    if req.block and not _blocks(policy):
        return f"does not block access{granted}"
    if req.grant is not None and grant_fit(policy, req.grant) is None:
        return f"does not require {req.needs}{granted}"
    return None


def candidate(policy: dict[str, Any], req: Requirement) -> bool:
    """Worth naming when nothing qualifies: a policy with the SCuBA policy's own condition (legacy
    clients, a risk level, the device code flow), or else with the grant it asks for (or, for
    phishing-resistant MFA, any MFA)."""
    conditions = policy.get("conditions") or {}
    if not req.own:
        if _grant_problem(policy, req) is None:
            return True
        return req.near is not None and grant_fit(policy, req.near) is not None
    if req.condition(conditions):
        return True
    # The right grant with the same kind of condition set to something else (only Exchange
    # ActiveSync, only medium risk, only authentication transfer).
    configured: list[str] = []
    for key in req.own:
        if key == "authenticationFlows":
            configured += strings((conditions.get(key) or {}).get("transferMethods"))
        else:
            configured += [v for v in strings(conditions.get(key)) if v != "all"]
    return bool(configured) and _grant_problem(policy, req) is None


def _narrowing(conditions: dict[str, Any], req: Requirement, ctx: _Context) -> list[str]:
    """Conditions the SCuBA policy does not ask for, which narrow who or what it applies to."""
    out: list[str] = []
    for key, what in (
        ("userRiskLevels", "user risk"),
        ("signInRiskLevels", "sign-in risk"),
        ("servicePrincipalRiskLevels", "service principal risk"),
        ("insiderRiskLevels", "insider risk"),
    ):
        levels = strings(conditions.get(key))
        if levels and key not in req.own:
            out.append(f"applies only at {what} {'/'.join(levels)}")
    apps = [a for a in strings(conditions.get("clientAppTypes")) if a != "all"]
    if apps and "clientAppTypes" not in req.own:
        out.append(f"applies only to the client apps {', '.join(apps)}")
    platforms = conditions.get("platforms") or {}
    included = strings(platforms.get("includePlatforms"))
    if included and "all" not in included:
        out.append(f"applies only to {', '.join(included)} devices")
    if strings(platforms.get("excludePlatforms")):
        out.append(f"excludes {', '.join(strings(platforms.get('excludePlatforms')))} devices")
    locations = conditions.get("locations") or {}
    inside = strings(locations.get("includeLocations"))
    if inside and inside != ["All"]:
        out.append(f"applies only in {name_list([ctx.locations.get(i, i) for i in inside])}")
    outside = strings(locations.get("excludeLocations"))
    if outside:
        names = [
            ctx.locations.get(i, "trusted locations" if i == "AllTrusted" else i) for i in outside
        ]
        out.append(f"does not apply in {name_list(names)}")
    device_filter = (conditions.get("devices") or {}).get("deviceFilter") or {}
    if device_filter.get("rule"):
        verb = "excludes" if device_filter.get("mode") == "exclude" else "applies only to"
        out.append(f"{verb} devices matching a filter")
    flows = strings((conditions.get("authenticationFlows") or {}).get("transferMethods"))
    if flows and flows != ["none"] and "authenticationFlows" not in req.own:
        out.append(f"applies only to the authentication flows {', '.join(flows)}")
    if conditions.get("clientApplications"):
        out.append("targets workload identities")
    return out


def _excluded_groups(group_ids: Sequence[str], ctx: _Context, verdict: Verdict) -> None:
    for group_id in group_ids:
        label = f"the group {quoted(ctx.group_name(group_id))}"
        members = ctx.data.optional_collection(f"groups/{group_id}/members")
        if members is None:
            verdict.unknown.append(
                f"its excluded group {quoted(ctx.group_name(group_id))} has unknown members "
                f"({ctx.data.cause(f'groups/{group_id}/members')})"
            )
            continue
        ids = [str(m.get("id")) for m in members]
        emergency, gap = ctx.emergency()
        if not ids:
            verdict.caveats.append(f"excludes {label}, empty today")
        elif all(i in emergency for i in ids):
            verdict.tolerated.extend(ctx.user_name(i) for i in ids)
        elif gap:
            verdict.unknown.append(f"cannot tell who the emergency-access accounts are ({gap})")
        else:
            verdict.problems.append(f"excludes {label} ({plural(len(ids), 'member')})")


def _exclusions(policy: dict[str, Any], req: Requirement, ctx: _Context, verdict: Verdict) -> None:
    conditions = policy.get("conditions") or {}
    users = conditions.get("users") or {}
    excluded_users = strings(users.get("excludeUsers"))
    if "GuestsOrExternalUsers" in excluded_users or users.get("excludeGuestsOrExternalUsers"):
        verdict.caveats.append("excludes guests and external users")
    excluded_users = [u for u in excluded_users if u != "GuestsOrExternalUsers"]
    if excluded_users:
        emergency, gap = ctx.emergency()
        others = [u for u in excluded_users if u not in emergency]
        verdict.tolerated.extend(ctx.user_name(u) for u in excluded_users if u in emergency)
        if others and gap:
            verdict.unknown.append(f"cannot tell who the emergency-access accounts are ({gap})")
        elif others:
            names = [ctx.user_name(u) for u in others]
            verdict.problems.append(f"excludes {plural(len(names), 'user')}: {name_list(names)}")
    _excluded_groups(strings(users.get("excludeGroups")), ctx, verdict)
    excluded_roles = strings(users.get("excludeRoles"))
    if req.users == "privileged":
        excluded_roles = [r for r in excluded_roles if r in HIGHLY_PRIVILEGED_ROLES]
    if excluded_roles:
        names = [ctx.role_name(r) for r in excluded_roles]
        verdict.problems.append(
            f"excludes the {'role' if len(names) == 1 else 'roles'} {name_list(names)}"
        )
    excluded_apps = strings((conditions.get("applications") or {}).get("excludeApplications"))
    if excluded_apps:
        text = f"excludes {plural(len(excluded_apps), 'application')}"
        (verdict.problems if req.strict_app_exclusions else verdict.caveats).append(text)


def assess_policy(policy: dict[str, Any], req: Requirement, ctx: _Context) -> Verdict:
    verdict = Verdict(policy)
    state = policy.get("state")
    if state == "enabledForReportingButNotEnforced":
        verdict.problems.append("is report-only")
    elif state != "enabled":
        verdict.problems.append("is off")
    conditions = policy.get("conditions") or {}
    users = conditions.get("users") or {}
    if req.users == "all" and "All" not in strings(users.get("includeUsers")):
        verdict.problems.append("does not include all users")
    if req.users == "privileged":
        missing = [
            r for r in HIGHLY_PRIVILEGED_ROLES if r not in strings(users.get("includeRoles"))
        ]
        if missing:
            names = [ctx.role_name(r) for r in missing]
            verdict.problems.append(f"does not include {name_list(names)}")
    applications = conditions.get("applications") or {}
    if req.target == "register-security-info":
        if REGISTER_SECURITY_INFO not in strings(applications.get("includeUserActions")):
            verdict.problems.append("does not target the user action Register security information")
    elif "All" not in strings(applications.get("includeApplications")):
        verdict.problems.append("does not target all resources")
    if not req.condition(conditions):
        verdict.problems.append(f"does not select {req.condition_text}")
    grant_problem = _grant_problem(policy, req)
    if grant_problem:
        verdict.problems.append(grant_problem)
    elif req.grant is not None:
        alternatives = grant_fit(policy, req.grant) or []
        if alternatives:
            verdict.caveats.append(f"can be satisfied with {name_list(alternatives)} instead")
    _exclusions(policy, req, ctx, verdict)
    verdict.caveats.extend(_narrowing(conditions, req, ctx))
    return verdict


def _no_policies(data: TenantData) -> str:
    text = "The tenant has no conditional-access policies."
    defaults = data.object(SECURITY_DEFAULTS) if data.has(SECURITY_DEFAULTS) else {}
    if defaults.get("isEnabled") is True:
        text += " Security defaults are on, but SCuBA asks for a conditional-access policy."
    return text


def _describe(verdict: Verdict, items: list[str]) -> str:
    return f"{quoted(verdict.name)} {' and '.join(items) if len(items) < 3 else '; '.join(items)}"


def evaluate(data: TenantData, req: Requirement) -> Outcome:
    """PASS when an enabled policy meets the requirement with no gap, WARN when the only ones
    that meet it leave a gap, ERROR when deciding needs data the snapshot lacks, else FAIL naming
    the closest policies and why each falls short."""
    policies = data.collection(CA_POLICIES)
    ctx = _Context(data)
    verdicts = [assess_policy(policy, req, ctx) for policy in policies]
    qualifying = [v for v in verdicts if v.qualifies]
    clean = [v for v in qualifying if not v.caveats]
    if clean:
        names = name_list([quoted(v.name) for v in clean])
        details = f"{names} {req.does}." if len(clean) == 1 else f"{names} each {req.does}."
        tolerated = sorted({n for v in clean for n in v.tolerated})
        if tolerated:
            details += f" Only emergency-access accounts are excluded: {name_list(tolerated)}."
        return Outcome(Status.PASS, details, tuple(v.resource() for v in clean))
    if qualifying:
        best = qualifying[0]
        details = (
            f"{quoted(best.name)} meets SCuBA's criteria (it {req.does}) but "
            f"{'; '.join(best.caveats)}, which leaves a gap."
        )
        if len(qualifying) > 1:
            others = name_list([quoted(v.name) for v in qualifying[1:]])
            details += f" So {'does' if len(qualifying) == 2 else 'do'} {others}."
        return Outcome(Status.WARN, details, tuple(v.resource() for v in qualifying))
    undecided = [v for v in verdicts if v.unknown and not v.problems]
    if undecided:
        causes = "; ".join(f"{quoted(v.name)}: {'; '.join(v.unknown)}" for v in undecided)
        return Outcome(
            Status.ERROR,
            f"Cannot tell whether a policy {req.does}: {causes}.",
            tuple(v.resource() for v in undecided),
        )
    if not policies:
        return Outcome(Status.FAIL, _no_policies(data))
    candidates = [v for v in verdicts if candidate(v.policy, req)][:5]
    if not candidates:
        return Outcome(
            Status.FAIL,
            f"No conditional-access policy, enabled or not, {req.does} (the tenant has "
            f"{plural(len(policies), 'policy', 'policies')}).",
        )
    details = f"No enabled conditional-access policy {req.does}: "
    details += "; ".join(_describe(v, v.problems) for v in candidates) + "."
    return Outcome(Status.FAIL, details, tuple(v.resource() for v in candidates))
