"""`remit review`: Scheduled access reviews and their decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from remit.cli.context import state
from remit.cli.drift_cmd import whoami
from remit.cli.output import print_json, stdout
from remit.governance.reviews import Decision, ReviewKind, actions
from remit.monitoring.reviews import (
    DueReview,
    close_review,
    decide,
    due_reviews,
    get_review,
    list_reviews,
    start_review,
)
from remit.store.reviews import ReviewInfo

app = typer.Typer(help="Scheduled access reviews and their decisions.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ReviewId = Annotated[int, typer.Argument(help="Review number (`remit review list`).")]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def review_json(review: ReviewInfo) -> dict[str, Any]:
    return {
        "id": review.id,
        "tenant": {"name": review.tenant_name, "tenant_id": review.tenant_id},
        "kind": review.kind.value,
        "reviewer": review.reviewer,
        "started_at": review.started_at.isoformat(),
        "snapshot_id": review.snapshot_id,
        "closed_at": review.closed_at.isoformat() if review.closed_at else None,
        "closed_by": review.closed_by,
        "decided": review.decided,
        "items": [
            {
                "number": i.number,
                "key": i.key,
                "title": i.title,
                "details": i.details,
                "decision": i.decision.value if i.decision else None,
                "note": i.note,
                "decided_by": i.decided_by or None,
                "decided_at": i.decided_at.isoformat() if i.decided_at else None,
            }
            for i in review.items
        ],
        "actions": actions(review.kind, review.items),
        "outcome": review.outcome,
    }


def _status(review: ReviewInfo) -> str:
    if review.is_open:
        return f"open ({review.decided}/{len(review.items)} decided)"
    return f"closed {_when(review.closed_at)} by {review.closed_by}"


def _print_review(review: ReviewInfo) -> None:
    out = stdout()
    out.print(
        f"[bold]Review {review.id}[/] — {escape(review.tenant_name)}, {review.kind.value}, "
        f"reviewer {escape(review.reviewer)}, started {_when(review.started_at)}: "
        f"{escape(_status(review))}"
    )
    table = Table()
    for column in ("#", "Item", "Decision", "By", "When", "Note"):
        table.add_column(column, overflow="fold")
    for item in review.items:
        drift = item.details.get("drift")
        title = escape(item.title) + (f" [red]({escape(str(drift))})[/]" if drift else "")
        decision = (
            {"keep": "[green]keep[/]", "revoke": "[red]revoke[/]"}[item.decision.value]
            if item.decision
            else "[yellow]undecided[/]"
        )
        table.add_row(
            str(item.number),
            title,
            decision,
            escape(item.decided_by or "-"),
            _when(item.decided_at),
            escape(item.note),
        )
    out.print(table)
    todo = actions(review.kind, review.items)
    if todo:
        out.print("[bold]Actions for a technician[/] (Remit changes nothing in the tenant):")
        for line in todo:
            out.print(f"  - {escape(line)}")


def _reviews_table(reviews: Sequence[ReviewInfo]) -> Table:
    table = Table()
    for column in ("ID", "Tenant", "Kind", "Reviewer", "Started", "Items", "Status"):
        table.add_column(column, overflow="fold")
    for review in reviews:
        table.add_row(
            str(review.id),
            escape(review.tenant_name),
            review.kind.value,
            escape(review.reviewer),
            _when(review.started_at),
            str(len(review.items)),
            escape(_status(review)),
        )
    return table


@app.command("start")
def start(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="Tenant name, id or domain.")],
    kind: Annotated[
        ReviewKind,
        typer.Option(help="privileged: role assignments (monthly); raci: responsibilities."),
    ],
    reviewer: Annotated[
        str | None, typer.Option(help="Who reviews (default: your login name).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Start a review: every privileged assignment of the latest snapshot, or every control's
    RACI from the control map."""
    with state(ctx).open() as workspace:
        review = start_review(workspace, tenant, kind, reviewer=reviewer or whoami())
    if json_output:
        print_json(review_json(review))
        return
    _print_review(review)
    stdout().print(
        f"Decide each item with `remit review decide {review.id} ITEM keep|revoke`, then "
        f"`remit review close {review.id}`."
    )


@app.command("list")
def list_command(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option("--tenant", "-t", help="Only this tenant.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only reviews not closed yet.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    json_output: JsonOption = False,
) -> None:
    """Reviews, newest first: kind, reviewer, how far along."""
    with state(ctx).open() as workspace:
        reviews = list_reviews(workspace, tenant, open_only=open_only, limit=limit)
    if json_output:
        print_json([review_json(r) for r in reviews])
    elif not reviews:
        stdout().print("No reviews yet; start one with `remit review start`.")
    else:
        stdout().print(_reviews_table(reviews))


@app.command("show")
def show(ctx: typer.Context, review_id: ReviewId, json_output: JsonOption = False) -> None:
    """A review's items, the decisions so far, and the actions they call for."""
    with state(ctx).open() as workspace:
        review = get_review(workspace, review_id)
    if json_output:
        print_json(review_json(review))
    else:
        _print_review(review)


@app.command("decide")
def decide_command(
    ctx: typer.Context,
    review_id: ReviewId,
    item: Annotated[str, typer.Argument(help="Item number, range (1-4) or list (1,3,5-7).")],
    decision: Annotated[Decision, typer.Argument(help="keep or revoke.")],
    note: Annotated[str, typer.Option(help="Why (kept as evidence).")] = "",
    by: Annotated[
        str | None, typer.Option(help="Who decides (default: the review's reviewer).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Keep or revoke items of an open review. Revoking records the decision; it changes
    nothing in Entra ID (a technician acts on it)."""
    with state(ctx).open() as workspace:
        review = decide(workspace, review_id, item, decision, by=by, note=note)
    if json_output:
        print_json(review_json(review))
        return
    stdout().print(
        f"Review {review.id}: item(s) {escape(item)} → {decision.value}; "
        f"{review.decided}/{len(review.items)} decided."
    )


@app.command("close")
def close(
    ctx: typer.Context,
    review_id: ReviewId,
    by: Annotated[
        str | None, typer.Option(help="Who closes it (default: the review's reviewer).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Close a review whose items are all decided; the outcome is kept as evidence."""
    with state(ctx).open() as workspace:
        review = close_review(workspace, review_id, by=by)
    if json_output:
        print_json(review_json(review))
        return
    outcome = review.outcome or {}
    stdout().print(
        f"Review {review.id} closed: {outcome.get('kept', 0)} kept, "
        f"{outcome.get('revoked', 0)} revoked."
    )
    for line in actions(review.kind, review.items):
        stdout().print(f"  - {escape(line)}")


def _due_json(entry: DueReview) -> dict[str, Any]:
    return {
        "tenant": {"name": entry.tenant.name, "tenant_id": entry.tenant.tenant_id},
        "kind": entry.kind.value,
        "last_closed": entry.last_closed.isoformat() if entry.last_closed else None,
        "due_at": entry.due_at.isoformat() if entry.due_at else None,
        "due": entry.due,
        "open_review": entry.open_review,
    }


@app.command("due")
def due(
    ctx: typer.Context,
    tenant: Annotated[
        list[str] | None,
        typer.Option("--tenant", "-t", help="Only these tenants (repeatable)."),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every tenant and kind, with its next due date.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Tenants whose review is due: RACI weekly, privileged access monthly, since the last
    closed review."""
    with state(ctx).open() as workspace:
        entries = due_reviews(workspace, tenant, include_all=show_all)
    if json_output:
        print_json([_due_json(e) for e in entries])
        return
    if not entries:
        stdout().print("No review is due.")
        return
    table = Table()
    for column in ("Tenant", "Kind", "Last closed", "Due", "In progress"):
        table.add_column(column)
    for entry in entries:
        when = "now (never reviewed)" if entry.due_at is None else _when(entry.due_at)
        table.add_row(
            escape(entry.tenant.name),
            entry.kind.value,
            _when(entry.last_closed),
            f"[red]{when}[/]" if entry.due else when,
            f"review {entry.open_review}" if entry.open_review else "-",
        )
    stdout().print(table)
