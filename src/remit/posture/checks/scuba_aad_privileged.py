"""CISA SCuBA Entra ID baseline: highly privileged access (MS.AAD.7.1 to 7.9).

Who holds a role is counted as ScubaGear's Get-PrivilegedUser counts it (active and PIM eligible
assignments, group members expanded; ExportAADProvider.psm1). Assignments and PIM settings are
judged as AADConfig.rego judges them: permanent means no end date (7.4), outside PIM means no
PIM schedule with a start (7.5), approval is the Approval_EndUser_Assignment rule (7.6), alerts
are the Notification_Admin_* rules' recipients (7.7 to 7.9).
"""

from __future__ import annotations

from typing import Any

from remit.posture.checks.scuba_aad_common import (
    PrivilegedUser,
    emergency_access_ids,
    is_cloud_only,
    name_list,
    plural,
    privileged_users,
)
from remit.posture.data import MissingData, TenantData
from remit.posture.engine import CheckFn
from remit.posture.model import Outcome, Resource, Status
from remit.posture.views import (
    GLOBAL_ADMINISTRATOR,
    HIGHLY_PRIVILEGED_ROLES,
    ROLE_ASSIGNMENT_SCHEDULES,
    ROLE_ASSIGNMENTS,
    ROLE_DEFINITIONS,
    RoleHolder,
    display,
    role_holders,
    role_names,
)

POLICY_ASSIGNMENTS = "policies/roleManagementPolicyAssignments"
MIN_GLOBAL_ADMINS, MAX_GLOBAL_ADMINS = 2, 8
OTHER_PRIVILEGED = [r for r in HIGHLY_PRIVILEGED_ROLES if r != GLOBAL_ADMINISTRATOR]


def _sorted(users: dict[str, PrivilegedUser]) -> list[PrivilegedUser]:
    return sorted(users.values(), key=lambda u: u.name.lower())


def _with_roles(user: PrivilegedUser) -> str:
    roles = sorted({h.role_name for h in user.holders})
    return f"{user.name} ({', '.join(roles)})"


# --- Who holds the roles (7.1, 7.2, 7.3) ---------------------------------------------------


def global_admin_count(data: TenantData) -> Outcome:
    """MS.AAD.7.1v1: two to eight users hold Global Administrator, each counted once, active or
    eligible, directly or through a group (the implementation section's counting rules)."""
    view = privileged_users(data, {GLOBAL_ADMINISTRATOR})
    admins = _sorted(view.users)
    count = len(admins)
    names = [f"{a.name}{' (eligible)' if a.only_eligible else ''}" for a in admins]
    resources = tuple(a.resource() for a in admins)
    listed = f": {name_list(names)}" if names else ""
    holds = f"{plural(count, 'user')} {'holds' if count == 1 else 'hold'} Global Administrator"
    if count > MAX_GLOBAL_ADMINS or (not view.gaps and count < MIN_GLOBAL_ADMINS):
        return Outcome(Status.FAIL, f"{holds} (SCuBA allows 2 to 8){listed}.", resources)
    if view.gaps:
        return Outcome(
            Status.ERROR,
            f"Cannot count every Global Administrator ({'; '.join(view.gaps)}); "
            f"{count} known{listed}.",
            resources,
        )
    return Outcome(Status.PASS, f"{holds}{listed}.", resources)


def least_privilege_ratio(data: TenantData) -> Outcome:
    """MS.AAD.7.2v1: no more Global Administrators than users holding only other highly
    privileged roles (X = GA / others <= 1; a user with both counts as a GA). ScubaGear also
    fails 7.2 whenever 7.1 fails; Remit reports the ratio alone, as the baseline defines it."""
    view = privileged_users(data)
    if view.gaps:
        raise MissingData(ROLE_ASSIGNMENTS, "; ".join(view.gaps))
    admins = [u for u in _sorted(view.users) if u.is_global_admin]
    others = [u for u in _sorted(view.users) if not u.is_global_admin]
    if not admins and not others:
        return Outcome(Status.NOT_APPLICABLE, "No user holds a highly privileged role.")
    ratio = (
        f"{len(admins)} Global {'Administrator' if len(admins) == 1 else 'Administrators'} "
        f"for {plural(len(others), 'user')} with other highly privileged roles"
    )
    if len(admins) <= len(others):
        return Outcome(
            Status.PASS,
            f"{ratio}: no more Global Administrators than holders of finer-grained roles.",
            tuple(u.resource() for u in admins),
        )
    return Outcome(
        Status.FAIL,
        f"{ratio}: SCuBA wants at most one Global Administrator per such user. Global "
        f"Administrators: {name_list([a.name for a in admins])}.",
        tuple(u.resource() for u in admins),
    )


def cloud_only_admins(data: TenantData) -> Outcome:
    """MS.AAD.7.3v1: no highly privileged user is synchronised from, or anchored to, an on-premises
    directory. ScubaGear tests onPremisesImmutableId; Remit's snapshot selects
    onPremisesSyncEnabled and reads onPremisesImmutableId too when it is there."""
    view = privileged_users(data)
    users = _sorted(view.users)
    hybrid = [u for u in users if u.user is not None and not is_cloud_only(u.user)]
    unknown = [u.id for u in users if u.user is None]
    if hybrid:
        return Outcome(
            Status.FAIL,
            f"{plural(len(hybrid), 'highly privileged user')} "
            f"{'comes' if len(hybrid) == 1 else 'come'} from the on-premises directory: "
            f"{name_list([_with_roles(u) for u in hybrid])}.",
            tuple(u.resource() for u in hybrid),
        )
    gaps = list(view.gaps)
    if unknown:
        gaps.append(
            f"{plural(len(unknown), 'role holder')} not found in users: {name_list(unknown)}"
        )
    if gaps:
        raise MissingData("users", "; ".join(gaps))
    return Outcome(
        Status.PASS,
        f"All {plural(len(users), 'highly privileged user')} are cloud-only.",
        tuple(u.resource() for u in users),
    )


# --- Assignments (7.4, 7.5) ---------------------------------------------------------------------


class _Principals:
    def __init__(self, data: TenantData) -> None:
        self.items: dict[str, tuple[str, dict[str, Any]]] = {}
        for key, kind in (("users", "user"), ("groups", "group"), ("servicePrincipals", "sp")):
            for item in data.optional_collection(key) or []:
                kind_name = "servicePrincipal" if kind == "sp" else kind
                self.items[str(item.get("id"))] = (kind_name, item)

    def resource(self, principal_id: str) -> Resource:
        kind, item = self.items.get(principal_id, ("user", {}))
        return Resource(kind, principal_id, display(item, principal_id))


def permanent_assignments(data: TenantData) -> Outcome:
    """MS.AAD.7.4v1: no permanent active assignment of a highly privileged role. The baseline
    exempts emergency-access accounts (ScubaGear: RoleExclusions in its configuration); Remit
    exempts the accounts that look like them (cloud-only, unlicensed, permanent Global
    Administrator) and names them."""
    data.collection(ROLE_ASSIGNMENT_SCHEDULES)  # PIM data (Entra ID P2) is what says "permanent"
    holders = [
        h
        for h in role_holders(data, expand_groups=False)
        if h.kind == "active" and h.permanent and h.role_template_id in HIGHLY_PRIVILEGED_ROLES
    ]
    emergency = emergency_access_ids(data)
    principals = _Principals(data)
    allowed = [
        h
        for h in holders
        if h.principal_id in emergency and h.role_template_id == GLOBAL_ADMINISTRATOR
    ]
    others = [h for h in holders if h not in allowed]

    def label(h: RoleHolder) -> str:
        return f"{principals.resource(h.principal_id).name} ({h.role_name})"

    note = (
        f" The emergency-access {'account' if len(allowed) == 1 else 'accounts'} "
        f"{name_list([principals.resource(h.principal_id).name for h in allowed])} hold Global "
        "Administrator permanently, which the baseline allows."
        if allowed
        else ""
    )
    if others:
        return Outcome(
            Status.FAIL,
            f"{plural(len(others), 'permanent active assignment')} of highly privileged roles: "
            f"{name_list([label(h) for h in others])}.{note}",
            tuple(dict.fromkeys(principals.resource(h.principal_id) for h in others)),
        )
    return Outcome(
        Status.PASS,
        f"No highly privileged role is permanently active for anyone else.{note}"
        if allowed
        else "No highly privileged role is assigned as permanently active.",
        tuple(principals.resource(h.principal_id) for h in allowed),
    )


def _template_ids(data: TenantData) -> dict[str, str]:
    return {
        str(d.get("id")): str(d.get("templateId") or d.get("id"))
        for d in data.optional_collection(ROLE_DEFINITIONS) or []
    }


def assigned_outside_pim(data: TenantData) -> Outcome:
    """MS.AAD.7.5v1: every active assignment of a highly privileged role has a PIM schedule with
    a start (AADConfig.rego RolesAssignedOutsidePim: StartDateTime null means outside PIM)."""
    templates = _template_ids(data)
    names = role_names(data)
    schedules = {
        (
            str(s.get("principalId")),
            str(s.get("roleDefinitionId")),
            str(s.get("directoryScopeId") or "/"),
        ): s
        for s in data.collection(ROLE_ASSIGNMENT_SCHEDULES)
    }
    principals = _Principals(data)
    checked = 0
    outside: list[tuple[str, str]] = []
    for assignment in data.collection(ROLE_ASSIGNMENTS):
        definition = str(assignment.get("roleDefinitionId"))
        template = templates.get(definition, definition)
        if template not in HIGHLY_PRIVILEGED_ROLES:
            continue
        checked += 1
        principal = str(assignment.get("principalId"))
        key = (principal, definition, str(assignment.get("directoryScopeId") or "/"))
        schedule = schedules.get(key) or {}
        if not (schedule.get("scheduleInfo") or {}).get("startDateTime"):
            outside.append((principal, names.get(template, template)))
    if outside:
        labels = [f"{principals.resource(p).name} ({role})" for p, role in outside]
        return Outcome(
            Status.FAIL,
            f"{plural(len(outside), 'assignment')} of highly privileged roles "
            f"{'was' if len(outside) == 1 else 'were'} made outside PIM: {name_list(labels)}.",
            tuple(dict.fromkeys(principals.resource(p) for p, _ in outside)),
        )
    return Outcome(
        Status.PASS,
        f"All {plural(checked, 'active assignment')} of highly privileged roles were made "
        "through PIM.",
    )


# --- PIM settings (7.6 to 7.9) ------------------------------------------------------------------


def _role_policies(data: TenantData) -> dict[str, dict[str, Any]]:
    templates = _template_ids(data)
    out: dict[str, dict[str, Any]] = {}
    for item in data.collection(POLICY_ASSIGNMENTS):
        if (item.get("scopeId") or "/") != "/" or item.get("scopeType", "DirectoryRole") != (
            "DirectoryRole"
        ):
            continue
        definition = str(item.get("roleDefinitionId"))
        out[templates.get(definition, definition)] = item
    return out


def _rules(
    data: TenantData, role: str, policies: dict[str, dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]] | None:
    """The PIM rules of ``role`` by id; None when the snapshot has no policy for the role."""
    assignment = (policies if policies is not None else _role_policies(data)).get(role)
    if assignment is None:
        return None
    rules = (assignment.get("policy") or {}).get("rules")
    if not isinstance(rules, list):
        raise MissingData(
            POLICY_ASSIGNMENTS, f"{POLICY_ASSIGNMENTS} was collected without the policy rules"
        )
    return {str(r.get("id")): r for r in rules if isinstance(r, dict)}


def _role_resource(data: TenantData, role: str) -> Resource:
    return Resource("role", role, role_names(data).get(role, role))


def _approvers(data: TenantData, setting: dict[str, Any]) -> list[str]:
    groups = {str(g.get("id")): g for g in data.optional_collection("groups") or []}
    users = {str(u.get("id")): u for u in data.optional_collection("users") or []}
    names: list[str] = []
    for stage in setting.get("approvalStages") or []:
        for approver in stage.get("primaryApprovers") or []:
            if approver.get("groupId"):
                group = groups.get(str(approver["groupId"]))
                names.append(
                    display(group, str(approver.get("description") or approver["groupId"]))
                )
            elif approver.get("userId"):
                user = users.get(str(approver["userId"]))
                names.append(display(user, str(approver.get("description") or approver["userId"])))
    return list(dict.fromkeys(names))


def global_admin_approval(data: TenantData) -> Outcome:
    """MS.AAD.7.6v1: activating Global Administrator needs approval
    (Approval_EndUser_Assignment: setting.isApprovalRequired)."""
    rules = _rules(data, GLOBAL_ADMINISTRATOR)
    rule = (rules or {}).get("Approval_EndUser_Assignment")
    if rule is None:
        raise MissingData(
            POLICY_ASSIGNMENTS,
            f"{POLICY_ASSIGNMENTS} has no approval rule for Global Administrator",
        )
    setting = rule.get("setting") or {}
    resources = (_role_resource(data, GLOBAL_ADMINISTRATOR),)
    if setting.get("isApprovalRequired") is True:
        approvers = _approvers(data, setting)
        by = f" by {name_list(approvers)}" if approvers else ""
        return Outcome(
            Status.PASS, f"Activating Global Administrator needs approval{by}.", resources
        )
    return Outcome(
        Status.FAIL, "Eligible users can activate Global Administrator without approval.", resources
    )


def _recipients(rules: dict[str, dict[str, Any]], rule_id: str) -> list[str] | None:
    rule = rules.get(rule_id)
    if rule is None:
        return None
    return [str(r) for r in rule.get("notificationRecipients") or []]


def _alerts(
    data: TenantData, roles: list[str], rule_ids: dict[str, str], what: str
) -> tuple[Outcome, set[str]]:
    """Roles whose rules ``rule_ids`` (id → label) send ``what`` alerts to nobody: FAIL; roles the
    snapshot has no settings for: ERROR; else PASS. Also returns every recipient seen."""
    names = role_names(data)
    silent: list[str] = []
    unknown: list[str] = []
    seen: set[str] = set()
    policies = _role_policies(data)
    for role in roles:
        rules = _rules(data, role, policies)
        labels: list[str] = []
        for rule_id, label in rule_ids.items():
            recipients = None if rules is None else _recipients(rules, rule_id)
            if recipients is None:
                unknown.append(names.get(role, role))
            elif not recipients:
                labels.append(label)
            seen.update(recipients or [])
        if labels:
            kinds = f" ({', '.join(labels)})" if len(rule_ids) > 1 else ""
            silent.append(f"{names.get(role, role)}{kinds}")
    resources = tuple(_role_resource(data, r) for r in roles)
    subject = names.get(roles[0], roles[0]) if len(roles) == 1 else plural(len(roles), "role")
    if silent:
        return (
            Outcome(
                Status.FAIL,
                f"{what} of {plural(len(silent), 'role')} alert nobody beyond the default "
                f"recipients: {name_list(silent)}."
                if len(roles) > 1
                else f"{what} of {subject} alert nobody beyond the default recipients.",
                resources,
            ),
            seen,
        )
    if unknown:
        raise MissingData(
            POLICY_ASSIGNMENTS,
            f"{POLICY_ASSIGNMENTS} has no PIM notification settings for "
            f"{name_list(list(dict.fromkeys(unknown)))}",
        )
    return (
        Outcome(
            Status.PASS,
            f"{what} of {subject} alert {name_list(sorted(seen))}.",
            resources,
        ),
        seen,
    )


def assignment_alerts(data: TenantData) -> Outcome:
    """MS.AAD.7.7v1: eligible and active assignments of every highly privileged role alert an
    additional recipient (Notification_Admin_Admin_Eligibility / _Assignment)."""
    outcome, _ = _alerts(
        data,
        list(HIGHLY_PRIVILEGED_ROLES),
        {
            "Notification_Admin_Admin_Eligibility": "eligible",
            "Notification_Admin_Admin_Assignment": "active",
        },
        "Eligible and active assignments",
    )
    return outcome


ACTIVATION = {"Notification_Admin_EndUser_Assignment": "activation"}


def global_admin_activation_alert(data: TenantData) -> Outcome:
    """MS.AAD.7.8v1: activating Global Administrator alerts an additional recipient
    (Notification_Admin_EndUser_Assignment)."""
    outcome, _ = _alerts(data, [GLOBAL_ADMINISTRATOR], ACTIVATION, "Activations")
    return outcome


def privileged_activation_alerts(data: TenantData) -> Outcome:
    """MS.AAD.7.9v1: activating any other highly privileged role alerts an additional recipient.
    The instructions suggest a mailbox other than the Global Administrator one; ScubaGear does
    not test it, Remit mentions it when the recipients are the same."""
    outcome, seen = _alerts(data, OTHER_PRIVILEGED, ACTIVATION, "Activations")
    if outcome.status is not Status.PASS:
        return outcome
    rules = _rules(data, GLOBAL_ADMINISTRATOR) or {}
    global_admin = set(_recipients(rules, "Notification_Admin_EndUser_Assignment") or [])
    if global_admin and seen == global_admin:
        return Outcome(
            Status.PASS,
            f"{outcome.details} The baseline suggests a mailbox other than the one that watches "
            "Global Administrator activations.",
            outcome.resources,
        )
    return outcome


CHECKS: dict[str, CheckFn] = {
    "MS.AAD.7.1": global_admin_count,
    "MS.AAD.7.2": least_privilege_ratio,
    "MS.AAD.7.3": cloud_only_admins,
    "MS.AAD.7.4": permanent_assignments,
    "MS.AAD.7.5": assigned_outside_pim,
    "MS.AAD.7.6": global_admin_approval,
    "MS.AAD.7.7": assignment_alerts,
    "MS.AAD.7.8": global_admin_activation_alert,
    "MS.AAD.7.9": privileged_activation_alerts,
}
