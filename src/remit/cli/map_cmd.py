"""`remit map`: Control maps: RACI, objectives, approved privileged access, exceptions, revisions.

Every verb that changes something works on the tenant's own layer, needs ``--reason`` and
stores a new revision (author from ``--author``, else ``$REMIT_AUTHOR``, else the user name).
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated

import typer

from remit.cli.context import state
from remit.cli.map_output import (
    map_json,
    print_diff,
    print_history,
    print_map,
    print_saved,
    read_document,
)
from remit.cli.output import print_json, stdout
from remit.controlmap.authors import resolve_author
from remit.controlmap.seed import seed_map
from remit.controlmap.service import (
    edit_map,
    explain_map,
    import_map,
    map_diff,
    map_history,
    rollback_map,
)
from remit.controlmap.stack import Stack
from remit.errors import InvalidInput
from remit.governance import edits
from remit.governance.model import (
    AccessKind,
    ApprovedAccess,
    ControlException,
    ControlMapDoc,
    ImplementationStatus,
    RecoveryObjective,
    Workload,
)
from remit.governance.yamlio import dump_yaml

app = typer.Typer(
    help="Control maps: RACI, objectives, approved privileged access, exceptions, revisions.",
    no_args_is_help=True,
)
exception_app = typer.Typer(
    help="Accepted exceptions (reason, expiry, sign-off).", no_args_is_help=True
)
app.add_typer(exception_app, name="exception")

TenantOption = Annotated[str, typer.Option("--tenant", "-t", help="Tenant name, id or domain.")]
ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why the change is made (required; name the ticket).")
]
AuthorOption = Annotated[
    str | None,
    typer.Option(
        "--author", help="Who makes the change (default: $REMIT_AUTHOR, else your user name)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


class LayerChoice(enum.StrEnum):
    TENANT = "tenant"
    EFFECTIVE = "effective"


def parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option} {text!r}: give a date as YYYY-MM-DD") from None


def parse_time(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{option} {text!r}: give a date or time as YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _today() -> date:
    return date.today()


# --- reading ------------------------------------------------------------------------------------


@app.command("show")
def show(
    ctx: typer.Context,
    tenant: TenantOption,
    explain: Annotated[
        bool, typer.Option("--explain", help="Say which layer set each value.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """The tenant's effective control map, a table per section (expired exceptions marked)."""
    with state(ctx).open() as workspace:
        explained = explain_map(workspace, tenant)
    if json_output:
        print_json(map_json(explained, today=_today(), explain=explain))
    else:
        print_map(explained, today=_today(), explain=explain)


@app.command("export")
def export(
    ctx: typer.Context,
    tenant: TenantOption,
    layer: Annotated[
        LayerChoice,
        typer.Option(help="tenant: the tenant's own layer; effective: the merged map."),
    ] = LayerChoice.TENANT,
) -> None:
    """Print the tenant's layer (or effective map) as YAML for review in git."""
    with state(ctx).open() as workspace:
        explained = explain_map(workspace, tenant)
    name = explained.stack.tenant.name
    if layer is LayerChoice.EFFECTIVE:
        header = (
            f"Remit control map: the effective map of tenant {name} (all layers merged).\n"
            "Comments are ignored on import."
        )
        text = dump_yaml(explained.doc, full=True, header=header)
    else:
        header = (
            f"Remit control map: tenant {name}'s own layer (on top of its baselines).\n"
            f"Comments are ignored on import: remit map import -t {name} FILE --reason ..."
        )
        text = dump_yaml(explained.stack.own.doc, header=header)
    sys.stdout.write(text)


@app.command("history")
def history(
    ctx: typer.Context,
    tenant: TenantOption,
    limit: Annotated[int | None, typer.Option(help="At most this many, newest first.")] = None,
    json_output: JsonOption = False,
) -> None:
    """The revisions of the tenant's own layer: who changed it, when and why."""
    with state(ctx).open() as workspace:
        info, revisions = map_history(workspace, tenant, limit=limit)
    print_history(f"tenant {info.name}", revisions, json_output)


@app.command("diff")
def diff(
    ctx: typer.Context,
    tenant: TenantOption,
    from_revision: Annotated[
        int | None,
        typer.Option("--from", help="Older revision (default: the one before --to; 0: empty)."),
    ] = None,
    to_revision: Annotated[
        int | None, typer.Option("--to", help="Newer revision (default: the newest).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """What changed in the tenant's own layer between two revisions."""
    with state(ctx).open() as workspace:
        info, found = map_diff(workspace, tenant, before=from_revision, after=to_revision)
    print_diff(f"tenant {info.name}", found, json_output)


# --- replacing and restoring --------------------------------------------------------------------


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(help="YAML file (as `remit map export` writes; - reads stdin).")
    ],
    tenant: TenantOption,
    reason: ReasonOption,
    author: AuthorOption = None,
) -> None:
    """Replace the tenant's own layer with the file's content (validated whole first)."""
    who = resolve_author(author)
    doc = read_document(file)
    with state(ctx).open() as workspace:
        saved = import_map(workspace, tenant, doc, author=who, reason=reason)
    print_saved(saved)


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    revision: Annotated[int, typer.Argument(help="The revision to restore.")],
    tenant: TenantOption,
    reason: ReasonOption,
    author: AuthorOption = None,
) -> None:
    """Restore an older revision of the tenant's layer, as a new revision (history is kept)."""
    who = resolve_author(author)
    with state(ctx).open() as workspace:
        saved = rollback_map(workspace, tenant, revision, author=who, reason=reason)
    print_saved(saved)


# --- editing verbs ------------------------------------------------------------------------------

Edit = Callable[[ControlMapDoc, Stack], ControlMapDoc]


def _edit(ctx: typer.Context, tenant: str, edit: Edit, *, who: str, reason: str) -> None:
    with state(ctx).open() as workspace:
        saved = edit_map(workspace, tenant, edit, author=who, reason=reason)
    print_saved(saved)


ControlArgument = Annotated[str, typer.Argument(help="Catalogue control id.")]


@app.command("raci")
def raci(
    ctx: typer.Context,
    control: ControlArgument,
    tenant: TenantOption,
    reason: ReasonOption,
    responsible: Annotated[
        list[str] | None, typer.Option("--responsible", "-R", help="Responsible (repeatable).")
    ] = None,
    accountable: Annotated[
        str | None, typer.Option("--accountable", "-A", help="The one accountable.")
    ] = None,
    consulted: Annotated[
        list[str] | None, typer.Option("--consulted", "-C", help="Consulted (repeatable).")
    ] = None,
    informed: Annotated[
        list[str] | None, typer.Option("--informed", "-I", help="Informed (repeatable).")
    ] = None,
    author: AuthorOption = None,
) -> None:
    """Set who is responsible, accountable, consulted and informed for a control.

    Only the letters given change; the others stay as the layers below set them.
    """
    who = resolve_author(author)
    _edit(
        ctx,
        tenant,
        lambda doc, _stack: edits.set_raci(
            doc,
            control,
            responsible=responsible,
            accountable=accountable,
            consulted=consulted,
            informed=informed,
        ),
        who=who,
        reason=reason,
    )


@app.command("status")
def status(
    ctx: typer.Context,
    control: ControlArgument,
    tenant: TenantOption,
    reason: ReasonOption,
    implementation: Annotated[
        ImplementationStatus | None,
        typer.Option("--status", help="Implementation status.", case_sensitive=False),
    ] = None,
    evidence: Annotated[
        str | None, typer.Option("--evidence", help="Where the evidence comes from.")
    ] = None,
    author: AuthorOption = None,
) -> None:
    """Set a control's implementation status and where its evidence comes from."""
    who = resolve_author(author)
    _edit(
        ctx,
        tenant,
        lambda doc, _stack: edits.set_status(
            doc, control, status=implementation, evidence=evidence
        ),
        who=who,
        reason=reason,
    )


@app.command("reset")
def reset(
    ctx: typer.Context,
    control: ControlArgument,
    tenant: TenantOption,
    reason: ReasonOption,
    author: AuthorOption = None,
) -> None:
    """Drop the tenant's own settings for a control: it follows its baselines again."""
    who = resolve_author(author)
    _edit(
        ctx, tenant, lambda doc, _stack: edits.reset_control(doc, control), who=who, reason=reason
    )


@app.command("objective")
def objective(
    ctx: typer.Context,
    workload: Annotated[Workload, typer.Argument(help="The workload.", case_sensitive=False)],
    tenant: TenantOption,
    reason: ReasonOption,
    rto: Annotated[str | None, typer.Option(help="Recovery time objective (PT4H, P1D).")] = None,
    rpo: Annotated[str | None, typer.Option(help="Recovery point objective (PT1H, P1D).")] = None,
    owner: Annotated[str | None, typer.Option(help="The business owner who set them.")] = None,
    author: AuthorOption = None,
) -> None:
    """Set a workload's RTO, RPO and business owner (those not given keep their value)."""
    who = resolve_author(author)

    def edit(doc: ControlMapDoc, stack: Stack) -> ControlMapDoc:
        current = stack.resolved().doc.objectives.get(workload)
        values = {"rto": rto, "rpo": rpo, "owner": owner}
        missing = [k for k, v in values.items() if v is None and current is None]
        if missing:
            raise InvalidInput(
                f"{workload.value} has no objective yet: give "
                + ", ".join(f"--{name}" for name in missing)
            )
        if all(v is None for v in values.values()):
            raise InvalidInput("give --rto, --rpo, --owner or several")
        merged = {k: v if v is not None else getattr(current, k) for k, v in values.items()}
        return edits.set_objective(doc, workload, RecoveryObjective(**merged))

    _edit(ctx, tenant, edit, who=who, reason=reason)


@app.command("approve")
def approve(
    ctx: typer.Context,
    principal: Annotated[str, typer.Argument(help="UPN, or object id of a group or app.")],
    role: Annotated[str, typer.Argument(help='Role name ("Global Administrator") or template id.')],
    tenant: TenantOption,
    reason: ReasonOption,
    eligible: Annotated[
        bool,
        typer.Option("--eligible/--active", help="Approved as PIM-eligible (default) or active."),
    ] = True,
    until: Annotated[
        str | None, typer.Option("--until", help="The approval ends (YYYY-MM-DD).")
    ] = None,
    contractor_until: Annotated[
        str | None,
        typer.Option("--contractor-until", help="A contractor's engagement ends (YYYY-MM-DD)."),
    ] = None,
    ticket: Annotated[str, typer.Option("--ticket", help="The ticket that approved it.")] = "",
    approved_by: Annotated[
        str | None, typer.Option("--approved-by", help="Who approved it (default: the author).")
    ] = None,
    author: AuthorOption = None,
) -> None:
    """Approve a principal to hold a directory role (replaces an earlier approval of the pair)."""
    who = resolve_author(author)
    access = ApprovedAccess(
        principal=principal.strip(),
        role=role.strip(),
        kind=AccessKind.ELIGIBLE if eligible else AccessKind.ACTIVE,
        until=parse_date(until, "--until"),
        contractor_until=parse_date(contractor_until, "--contractor-until"),
        approved_by=(approved_by or who).strip(),
        ticket=ticket.strip(),
    )
    _edit(ctx, tenant, lambda doc, _stack: edits.approve(doc, access).doc, who=who, reason=reason)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    principal: Annotated[str, typer.Argument(help="UPN or object id.")],
    tenant: TenantOption,
    reason: ReasonOption,
    role: Annotated[
        str | None, typer.Argument(help="Only this role (default: every role of the principal).")
    ] = None,
    author: AuthorOption = None,
) -> None:
    """Withdraw a principal's approval (for one role, or all of them)."""
    who = resolve_author(author)
    _edit(
        ctx,
        tenant,
        lambda doc, _stack: edits.revoke(doc, principal, role)[0],
        who=who,
        reason=reason,
    )


@app.command("emergency")
def emergency(
    ctx: typer.Context,
    accounts: Annotated[list[str], typer.Argument(help="The emergency-access accounts (UPNs).")],
    tenant: TenantOption,
    reason: ReasonOption,
    author: AuthorOption = None,
) -> None:
    """Designate the tenant's emergency-access accounts (replaces the list)."""
    who = resolve_author(author)
    _edit(
        ctx,
        tenant,
        lambda doc, _stack: edits.set_emergency_accounts(doc, accounts),
        who=who,
        reason=reason,
    )


@exception_app.command("add")
def exception_add(
    ctx: typer.Context,
    control: Annotated[str, typer.Argument(help="Catalogue control id or check id.")],
    tenant: TenantOption,
    reason: ReasonOption,
    justification: Annotated[
        str, typer.Option("--justification", help="Why the control is not met (required).")
    ],
    expires: Annotated[str, typer.Option("--expires", help="Last day it counts (YYYY-MM-DD).")],
    compensating: Annotated[
        str, typer.Option("--compensating", help="The compensating control.")
    ] = "",
    signed_off_by: Annotated[
        str, typer.Option("--signed-off-by", help="The client's approver.")
    ] = "",
    signed_off_at: Annotated[
        str | None,
        typer.Option("--signed-off-at", help="When they signed off (default: now, if signed)."),
    ] = None,
    author: AuthorOption = None,
) -> None:
    """Accept an exception for a control (replaces, i.e. renews, an earlier one)."""
    who = resolve_author(author)
    ends = parse_date(expires, "--expires") or _today()
    if ends < _today():
        raise InvalidInput(f"--expires {expires} is in the past; an exception must still count")
    signed_at = parse_time(signed_off_at, "--signed-off-at")
    if signed_off_by.strip() and signed_at is None:
        signed_at = datetime.now(UTC).replace(microsecond=0)
    if signed_at is not None and not signed_off_by.strip():
        raise InvalidInput("--signed-off-at needs --signed-off-by (who signed off)")
    exception = ControlException(
        control=control.strip(),
        reason=justification.strip(),
        compensating_control=compensating.strip(),
        expires=ends,
        signed_off_by=signed_off_by.strip(),
        signed_off_at=signed_at,
    )
    _edit(
        ctx,
        tenant,
        lambda doc, _stack: edits.add_exception(doc, exception)[0],
        who=who,
        reason=reason,
    )


@exception_app.command("remove")
def exception_remove(
    ctx: typer.Context,
    control: Annotated[str, typer.Argument(help="The control or check id of the exception.")],
    tenant: TenantOption,
    reason: ReasonOption,
    author: AuthorOption = None,
) -> None:
    """Remove an exception from the tenant's layer."""
    who = resolve_author(author)
    _edit(
        ctx,
        tenant,
        lambda doc, _stack: edits.remove_exception(doc, control),
        who=who,
        reason=reason,
    )


@app.command("seed")
def seed(
    ctx: typer.Context,
    tenant: TenantOption,
    reason: ReasonOption,
    ticket: Annotated[str, typer.Option("--ticket", help="Ticket recorded on each approval.")] = "",
    author: AuthorOption = None,
) -> None:
    """Approve the privileged access the tenant has now (its latest snapshot), as seen.

    Role holders become approvals (eligible or active, as they are); the unlicensed, cloud-only,
    permanent Global Administrators become the emergency-access accounts. What the map already
    approves is left alone.
    """
    who = resolve_author(author)
    with state(ctx).open() as workspace:
        seeded = seed_map(workspace, tenant, author=who, reason=reason, ticket=ticket)
    stdout().print(
        f"from snapshot {seeded.snapshot_id} ({seeded.snapshot_taken_at:%Y-%m-%d %H:%M} UTC): "
        f"{len(seeded.approved)} approval(s) and {len(seeded.emergency_accounts)} emergency "
        "account(s) added"
    )
    print_saved(seeded.saved)
