"""The recent directory audit history of a synthetic tenant (Secure Score is in
:mod:`remit.emulator.synthetic.secure_score`)."""

from __future__ import annotations

from datetime import timedelta

from remit.emulator.synthetic.audit import Actor, Target, audit_event
from remit.emulator.synthetic.catalog import ROLES_BY_ID
from remit.emulator.synthetic.common import Json, Person, Tenant


def _actor(p: Person) -> Actor:
    return Actor(id=p.id, upn=p.upn, display=None)


def build_audit_history(t: Tenant) -> None:
    rng = t.rng
    admins = [p for p in t.people if p.is_admin and p.member and not p.emergency]
    if not admins:
        admins = [p for p in t.people if p.member][:1]
    members = [p for p in t.members if not p.is_admin] or t.members
    policies = t.data["identity/conditionalAccess/policies"]["value"]
    apps = t.data["applications"]["value"]
    count = min(60, 10 + len(t.members) // 10)
    events: list[Json] = []
    for _ in range(count):
        when = t.random_past(0.02, 30)
        actor = _actor(rng.choice(admins))
        user = rng.choice(members)
        kind = rng.random()
        target_user = Target(user.id, None, "User", user.upn)
        if kind < 0.35:
            change = ("JobTitle", user.job, user.job)
            events.append(
                audit_event(
                    t.id,
                    when,
                    activity="Update user",
                    category="UserManagement",
                    service="Core Directory",
                    operation="Update",
                    actor=actor,
                    targets=[Target(user.id, None, "User", user.upn, (change,))],
                )
            )
        elif kind < 0.55:
            events.append(
                audit_event(
                    t.id,
                    when,
                    activity="Reset user password",
                    category="UserManagement",
                    service="Core Directory",
                    operation="Update",
                    actor=actor,
                    targets=[target_user],
                )
            )
        elif kind < 0.75 and t.groups:
            group = rng.choice(t.groups)
            events.append(
                audit_event(
                    t.id,
                    when,
                    activity="Add member to group",
                    category="GroupManagement",
                    service="Core Directory",
                    operation="Assign",
                    actor=actor,
                    targets=[target_user, Target(group["id"], group["displayName"], "Group")],
                )
            )
        elif kind < 0.85 and policies:
            policy = rng.choice(policies)
            events.append(
                audit_event(
                    t.id,
                    when,
                    activity="Update conditional access policy",
                    category="Policy",
                    service="Conditional Access",
                    operation="Update",
                    actor=actor,
                    targets=[Target(policy["id"], policy["displayName"], "Policy")],
                )
            )
        elif kind < 0.93:
            app = rng.choice(apps)
            events.append(
                audit_event(
                    t.id,
                    when,
                    activity="Update application",
                    category="ApplicationManagement",
                    service="Core Directory",
                    operation="Update",
                    actor=actor,
                    targets=[Target(app["id"], app["displayName"], "Application")],
                )
            )
        else:
            events.append(
                audit_event(
                    t.id,
                    when,
                    activity="Add user",
                    category="UserManagement",
                    service="Core Directory",
                    operation="Add",
                    actor=actor,
                    targets=[target_user],
                )
            )
    for p in admins:
        for role in p.active_roles:
            if p.created > t.ago(days=30):
                name = ROLES_BY_ID[role].name
                events.append(
                    audit_event(
                        t.id,
                        p.created + timedelta(minutes=5),
                        activity="Add member to role",
                        category="RoleManagement",
                        service="Core Directory",
                        operation="Assign",
                        actor=_actor(admins[0]),
                        targets=[
                            Target(p.id, None, "User", p.upn, (("Role.DisplayName", None, name),))
                        ],
                    )
                )
    events.sort(key=lambda e: str(e["activityDateTime"]), reverse=True)
    t.data["auditLogs/directoryAudits"] = {"value": events}
