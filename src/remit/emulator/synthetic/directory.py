"""Groups, directory roles, role assignments and (P2 tenants) PIM schedules and policies."""

from __future__ import annotations

from remit.emulator.model import LICENSE_ENTRA_P1, LICENSE_ENTRA_P2
from remit.emulator.synthetic import profiles as P
from remit.emulator.synthetic.catalog import (
    GLOBAL_ADMIN,
    PRIVILEGED_ROLE_ADMIN,
    PRIVILEGED_ROLE_IDS,
    ROLES,
    ROLES_BY_NAME,
)
from remit.emulator.synthetic.common import (
    Json,
    Person,
    Tenant,
    iso,
    role_assignment_id,
    security_identifier,
    user_ref,
)

# --- Groups ------------------------------------------------------------------------------------


def _group(
    t: Tenant,
    name: str,
    members: list[Person],
    *,
    description: str,
    unified: bool = False,
    rule: str | None = None,
    role_assignable: bool = False,
    synced: bool = False,
) -> Json:
    gid = t.id()
    nickname = "".join(c for c in name if c.isalnum()) or "group"
    mail = f"{nickname}@{t.domain}" if unified else None
    types = ["Unified"] if unified else []
    if rule:
        types.append("DynamicMembership")
    body: Json = {
        "id": gid,
        "deletedDateTime": None,
        "classification": None,
        "createdDateTime": iso(t.random_past(30, max(31, (t.now - t.created).days))),
        "description": description,
        "displayName": name,
        "expirationDateTime": None,
        "groupTypes": types,
        "isAssignableToRole": True if role_assignable else None,
        "mail": mail,
        "mailEnabled": unified,
        "mailNickname": nickname,
        "membershipRule": rule,
        "membershipRuleProcessingState": "On" if rule else None,
        "onPremisesDomainName": f"corp.{t.slug}.local" if synced else None,
        "onPremisesLastSyncDateTime": iso(t.random_past(0.001, 0.03)) if synced else None,
        "onPremisesSamAccountName": nickname if synced else None,
        "onPremisesSecurityIdentifier": (
            f"S-1-5-21-{t.domain_sid or '1004336348-1177238915-682003330'}-"
            f"{t.rng.randrange(1100, 9000)}"
            if synced
            else None
        ),
        "onPremisesSyncEnabled": True if synced else None,
        "preferredDataLocation": None,
        "preferredLanguage": None,
        "proxyAddresses": [f"SMTP:{mail}"] if mail else [],
        "renewedDateTime": None,
        "resourceBehaviorOptions": [],
        "resourceProvisioningOptions": ["Team"] if unified else [],
        "securityEnabled": not unified or role_assignable,
        "securityIdentifier": "",
        "theme": None,
        "visibility": "Private" if unified or role_assignable else None,
        "onPremisesProvisioningErrors": [],
        "serviceProvisioningErrors": [],
    }
    body["securityIdentifier"] = security_identifier(gid)
    body["renewedDateTime"] = body["createdDateTime"]
    t.groups.append(body)
    t.group_members[gid] = [p.id for p in members]
    return body


def group_ref(group: Json) -> Json:
    """A group as a ``directoryObject`` in a members list."""
    return {
        "@odata.type": "#microsoft.graph.group",
        "id": group["id"],
        "displayName": group["displayName"],
        "description": group["description"],
        "groupTypes": group["groupTypes"],
        "mail": group["mail"],
        "mailEnabled": group["mailEnabled"],
        "securityEnabled": group["securityEnabled"],
        "isAssignableToRole": group["isAssignableToRole"],
    }


def build_groups(t: Tenant) -> None:
    rng = t.rng
    members = [p for p in t.members if p.enabled]
    licensed = [p for p in members if p.licensed]
    hybrid = t.profile == P.HYBRID
    _group(t, "All Staff", licensed, description=f"Everyone at {t.name}", unified=True)
    departments = sorted({p.department for p in members if p.department})
    for dept in departments:
        staff = [p for p in members if p.department == dept]
        _group(t, f"SG-{dept}", staff, description=f"{dept} team", synced=hybrid)
    if LICENSE_ENTRA_P1 in t.features:
        _group(
            t,
            "All Members (dynamic)",
            list(t.members),
            description="Every member user",
            rule='(user.userType -eq "Member")',
        )
    if t.profile == P.BP_GAPS:
        share = rng.uniform(0.35, 0.5)
        excluded = [p for p in members if rng.random() < share]
        g = _group(t, "MFA Exclusions", excluded, description="Temporary MFA exclusions (2023)")
        t.special_groups["mfa_exclusions"] = g["id"]
    if t.profile == P.WELL_RUN:
        admins = [p for p in t.people if "cloud-admin" in p.tags]
        g = _group(
            t,
            "PIM Approvers - Tier 0",
            admins[:2],
            description="Approve Tier 0 role activations",
            role_assignable=True,
        )
        t.special_groups["pim_approvers"] = g["id"]
        analysts = [p for p in members if p.department and "cloud-admin" not in p.tags][:3]
        g = _group(
            t, "SOC Analysts", analysts, description="Security operations", role_assignable=True
        )
        t.special_groups["soc"] = g["id"]
        emergency = [p for p in t.people if p.emergency]
        g = _group(t, "Emergency Access Accounts", emergency, description="Break-glass accounts")
        t.special_groups["emergency"] = g["id"]
    if hybrid:
        it = [p for p in members if p.department == "IT"]
        _group(t, "IT Admins", it, description="IT administrators", synced=True)
    if t.guests:
        guests = t.guests
        g = _group(t, "External Collaborators", guests, description="Guests from partners")
        t.special_groups["guests"] = g["id"]
        if t.profile == P.GUEST_HEAVY:
            team = licensed[: max(3, len(licensed) // 3)] + guests[: len(guests) // 2]
            _group(t, "Client Projects", team, description="Shared client work", unified=True)


def groups_data(t: Tenant) -> None:
    by_person = {p.id: p for p in t.people}
    by_group = {g["id"]: g for g in t.groups}
    t.data["groups"] = {"value": t.groups}
    for gid, ids in t.group_members.items():
        refs = [user_ref(by_person[i]) if i in by_person else group_ref(by_group[i]) for i in ids]
        t.data[f"groups/{gid}/members"] = {"value": refs}


# --- Roles -------------------------------------------------------------------------------------


def _role_groups(t: Tenant) -> list[tuple[str, str]]:
    """Active role assignments held by role-assignable groups: (role template id, group id)."""
    if "soc" in t.special_groups:
        return [(ROLES_BY_NAME["Security Reader"].template_id, t.special_groups["soc"])]
    return []


def build_roles(t: Tenant) -> None:
    data = t.data
    data["roleManagement/directory/roleDefinitions"] = {
        "value": [
            {
                "id": role.template_id,
                "description": role.description,
                "displayName": role.name,
                "isBuiltIn": True,
                "isEnabled": True,
                "resourceScopes": ["/"],
                "templateId": role.template_id,
                "version": "1",
                "rolePermissions": [
                    {"allowedResourceActions": list(role.actions), "condition": None}
                ],
            }
            for role in ROLES
        ]
    }
    by_group = {g["id"]: g for g in t.groups}
    active: list[tuple[str, str]] = [(r, p.id) for p in t.people for r in p.active_roles]
    active += _role_groups(t)
    eligible: list[tuple[str, str]] = [(r, p.id) for p in t.people for r in p.eligible_roles]
    used = {r for r, _ in active} | {r for r, _ in eligible} | {GLOBAL_ADMIN}
    people = {p.id: p for p in t.people}
    roles_out: list[Json] = []
    for role in ROLES:
        if role.template_id not in used:
            continue
        rid = t.id()
        roles_out.append(
            {
                "id": rid,
                "deletedDateTime": None,
                "description": role.description,
                "displayName": role.name,
                "roleTemplateId": role.template_id,
            }
        )
        refs = [
            user_ref(people[pid]) if pid in people else group_ref(by_group[pid])
            for r, pid in active
            if r == role.template_id
        ]
        data[f"directoryRoles/{rid}/members"] = {"value": refs}
    data["directoryRoles"] = {"value": roles_out}
    data["roleManagement/directory/roleAssignments"] = {
        "value": [
            {
                "id": role_assignment_id(r, pid),
                "principalId": pid,
                "roleDefinitionId": r,
                "directoryScopeId": "/",
                "appScopeId": None,
                "condition": None,
            }
            for r, pid in active
        ]
    }
    if LICENSE_ENTRA_P2 in t.features:
        _pim(t, active, eligible)


def _created(t: Tenant, pid: str) -> str:
    people = {p.id: p for p in t.people}
    if pid in people:
        return iso(max(people[pid].created, t.random_past(30, 700)))
    return iso(t.random_past(30, 700))


def _schedule(t: Tenant, role: str, pid: str, *, eligible: bool) -> Json:
    start = _created(t, pid)
    if eligible:
        end = iso(t.random_past(-365, -60))  # expires 2-12 months from now
        expiration: Json = {"type": "afterDateTime", "endDateTime": end, "duration": None}
    else:
        expiration = {"type": "noExpiration", "endDateTime": None, "duration": None}
    body: Json = {
        "id": t.id(),
        "principalId": pid,
        "roleDefinitionId": role,
        "directoryScopeId": "/",
        "appScopeId": None,
        "createdUsing": t.id(),
        "createdDateTime": start,
        "modifiedDateTime": None,
        "status": "Provisioned",
        "memberType": "Direct",
        "scheduleInfo": {"startDateTime": start, "recurrence": None, "expiration": expiration},
    }
    if not eligible:
        body["assignmentType"] = "Assigned"
    return body


def _pim(t: Tenant, active: list[tuple[str, str]], eligible: list[tuple[str, str]]) -> None:
    data = t.data
    data["roleManagement/directory/roleAssignmentSchedules"] = {
        "value": [_schedule(t, r, pid, eligible=False) for r, pid in active]
    }
    data["roleManagement/directory/roleEligibilitySchedules"] = {
        "value": [_schedule(t, r, pid, eligible=True) for r, pid in eligible]
    }
    data["policies/roleManagementPolicyAssignments"] = {
        "value": [_policy_assignment(t, role.template_id) for role in ROLES]
    }


def _target(caller: str, level: str) -> Json:
    return {
        "caller": caller,
        "operations": ["all"],
        "level": level,
        "inheritableSettings": [],
        "enforcedSettings": [],
    }


def _notification(rule_id: str, caller: str, level: str, recipient: str, to: list[str]) -> Json:
    return {
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyNotificationRule",
        "id": rule_id,
        "notificationType": "Email",
        "recipientType": recipient,
        "notificationLevel": "All",
        "isDefaultRecipientsEnabled": True,
        "notificationRecipients": to,
        "target": _target(caller, level),
    }


def _policy_assignment(t: Tenant, role: str) -> Json:
    hardened = t.profile == P.WELL_RUN
    tier0 = role in (GLOBAL_ADMIN, PRIVILEGED_ROLE_ADMIN)
    privileged = role in PRIVILEGED_ROLE_IDS
    alerts = [f"secops@{t.domain}"] if hardened and privileged else []
    approvers: list[Json] = []
    if hardened and tier0 and "pim_approvers" in t.special_groups:
        approvers = [
            {
                "@odata.type": "#microsoft.graph.groupMembers",
                "groupId": t.special_groups["pim_approvers"],
                "description": "PIM Approvers - Tier 0",
            }
        ]
    policy_id = f"DirectoryRole_{t.tenant_id}_{t.id()}"
    rules: list[Json] = [
        {
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
            "id": "Expiration_Admin_Eligibility",
            "isExpirationRequired": hardened,
            "maximumDuration": "P365D",
            "target": _target("Admin", "Eligibility"),
        },
        {
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule",
            "id": "Enablement_Admin_Eligibility",
            "enabledRules": [],
            "target": _target("Admin", "Eligibility"),
        },
        _notification(
            "Notification_Admin_Admin_Eligibility", "Admin", "Eligibility", "Admin", alerts
        ),
        _notification(
            "Notification_Requestor_Admin_Eligibility", "Admin", "Eligibility", "Requestor", []
        ),
        _notification(
            "Notification_Approver_Admin_Eligibility", "Admin", "Eligibility", "Approver", []
        ),
        {
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
            "id": "Expiration_Admin_Assignment",
            "isExpirationRequired": hardened,
            "maximumDuration": "P180D",
            "target": _target("Admin", "Assignment"),
        },
        {
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule",
            "id": "Enablement_Admin_Assignment",
            "enabledRules": ["Justification", "MultiFactorAuthentication"]
            if hardened
            else ["Justification"],
            "target": _target("Admin", "Assignment"),
        },
        _notification(
            "Notification_Admin_Admin_Assignment", "Admin", "Assignment", "Admin", alerts
        ),
        _notification(
            "Notification_Requestor_Admin_Assignment", "Admin", "Assignment", "Requestor", []
        ),
        _notification(
            "Notification_Approver_Admin_Assignment", "Admin", "Assignment", "Approver", []
        ),
        {
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
            "id": "Approval_EndUser_Assignment",
            "target": _target("EndUser", "Assignment"),
            "setting": {
                "isApprovalRequired": bool(approvers),
                "isApprovalRequiredForExtension": False,
                "isRequestorJustificationRequired": True,
                "approvalMode": "SingleStage",
                "approvalStages": [
                    {
                        "approvalStageTimeOutInDays": 1,
                        "isApproverJustificationRequired": True,
                        "escalationTimeInMinutes": 0,
                        "isEscalationEnabled": False,
                        "primaryApprovers": approvers,
                        "escalationApprovers": [],
                    }
                ],
            },
        },
        {
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyAuthenticationContextRule",
            "id": "AuthenticationContext_EndUser_Assignment",
            "isEnabled": False,
            "claimValue": None,
            "target": _target("EndUser", "Assignment"),
        },
        {
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule",
            "id": "Enablement_EndUser_Assignment",
            "enabledRules": ["MultiFactorAuthentication", "Justification"]
            + (["Ticketing"] if hardened and tier0 else []),
            "target": _target("EndUser", "Assignment"),
        },
        {
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
            "id": "Expiration_EndUser_Assignment",
            "isExpirationRequired": True,
            "maximumDuration": "PT4H" if hardened and tier0 else "PT8H",
            "target": _target("EndUser", "Assignment"),
        },
        _notification(
            "Notification_Admin_EndUser_Assignment", "EndUser", "Assignment", "Admin", alerts
        ),
        _notification(
            "Notification_Requestor_EndUser_Assignment", "EndUser", "Assignment", "Requestor", []
        ),
        _notification(
            "Notification_Approver_EndUser_Assignment", "EndUser", "Assignment", "Approver", []
        ),
    ]
    return {
        "id": f"{policy_id}_{role}",
        "policyId": policy_id,
        "scopeId": "/",
        "scopeType": "DirectoryRole",
        "roleDefinitionId": role,
        "policy": {
            "id": policy_id,
            "displayName": "DirectoryRole",
            "description": "DirectoryRole",
            "isOrganizationDefault": False,
            "scopeId": "/",
            "scopeType": "DirectoryRole",
            "lastModifiedDateTime": iso(t.random_past(10, 400)) if hardened else None,
            "lastModifiedBy": {"displayName": None, "id": None},
            "rules": rules,
        },
    }
