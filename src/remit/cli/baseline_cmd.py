"""`remit baseline`: Layered baselines (MSP default, tiers) and what changing them would do.

The default baseline always exists; tiers sit on top of it and tenants are assigned one tier
(or none). A change to a baseline is planned first (`plan`: how every tenant using it would
change, and what its own values mask), then applied (`apply`: a new revision).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from remit.cli.context import state
from remit.cli.map_cmd import AuthorOption, JsonOption, ReasonOption, TenantOption
from remit.cli.map_output import (
    plan_json,
    print_baseline,
    print_baselines,
    print_changes,
    print_diff,
    print_history,
    print_plan,
    print_saved,
    read_document,
)
from remit.cli.output import print_json, stdout
from remit.controlmap.authors import resolve_author
from remit.controlmap.baselines import (
    apply_baseline,
    assign_tier,
    baseline_diff,
    baseline_doc,
    baseline_history,
    baseline_revision,
    create_baseline,
    list_baselines,
    plan_baseline,
    rollback_baseline,
    show_baseline,
)
from remit.errors import InvalidInput
from remit.governance.layers import DEFAULT_BASELINE
from remit.governance.yamlio import dump_yaml

app = typer.Typer(
    help="Layered baselines (MSP default, tiers) and what changing them would do.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="Baseline name (`default` or a tier).")]


@app.command("list")
def list_(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """The baselines, their newest revision and how many tenants use them."""
    with state(ctx).open() as workspace:
        infos = list_baselines(workspace)
    print_baselines(infos, json_output)


@app.command("show")
def show(ctx: typer.Context, name: NameArgument, json_output: JsonOption = False) -> None:
    """What a baseline sets, its newest revision and the tenants that use it."""
    with state(ctx).open() as workspace:
        info, layer = show_baseline(workspace, name)
    print_baseline(info, layer, json_output)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The new tier's name (e.g. regulated).")],
    reason: ReasonOption,
    tier: Annotated[
        bool,
        typer.Option("--tier", help="Create a tier (the default, and the only kind to create)."),
    ] = True,
    author: AuthorOption = None,
) -> None:
    """Create a tier: an empty baseline on top of the default one, for tenants to be put on."""
    who = resolve_author(author)
    with state(ctx).open() as workspace:
        info = create_baseline(workspace, name, author=who, reason=reason)
    stdout().print(
        f"tier {info.name} created (revision {info.revision}); put tenants on it with "
        f"`remit baseline assign -t TENANT {info.name}`"
    )


@app.command("assign")
def assign(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The tier, or `default` for no tier.")],
    tenant: TenantOption,
    reason: ReasonOption,
    author: AuthorOption = None,
) -> None:
    """Put a tenant on a tier (`default`: the default baseline alone)."""
    who = resolve_author(author)
    with state(ctx).open() as workspace:
        assigned = assign_tier(workspace, tenant, name, author=who, reason=reason)
    count = len(assigned.changes)
    stdout().print(
        f"tenant {assigned.tenant}: {assigned.before} → {assigned.after} "
        f"({count} change{'s' if count != 1 else ''} to its effective map)"
    )
    print_changes(assigned.changes)


@app.command("export")
def export(ctx: typer.Context, name: NameArgument) -> None:
    """Print a baseline as YAML for review in git (edit it, then `plan` and `apply` it)."""
    with state(ctx).open() as workspace:
        layer = baseline_doc(workspace, name)
    header = (
        f"Remit control map: {layer.label}.\n"
        f"Comments are ignored: remit baseline plan {name} FILE, then apply it with --reason."
    )
    sys.stdout.write(dump_yaml(layer.doc, header=header))


@app.command("plan")
def plan(
    ctx: typer.Context,
    name: NameArgument,
    file: Annotated[
        str | None, typer.Argument(help="The changed baseline as YAML (- reads stdin).")
    ] = None,
    revision: Annotated[
        int | None, typer.Option("--revision", help="Plan a rollback to this revision instead.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Show how every tenant using the baseline would change; nothing is stored."""
    if (file is None) == (revision is None):
        raise InvalidInput("give the changed baseline FILE, or --revision N to plan a rollback")
    with state(ctx).open() as workspace:
        doc = (
            read_document(file)
            if file is not None
            else baseline_revision(workspace, name, revision or 0).doc
        )
        found = plan_baseline(workspace, name, doc)
    if json_output:
        print_json(plan_json(found))
    else:
        print_plan(found)


@app.command("apply")
def apply(
    ctx: typer.Context,
    name: NameArgument,
    file: Annotated[str, typer.Argument(help="The changed baseline as YAML (- reads stdin).")],
    reason: ReasonOption,
    author: AuthorOption = None,
) -> None:
    """Store the file as the baseline's next revision (prints the plan it carried out)."""
    who = resolve_author(author)
    doc = read_document(file)
    with state(ctx).open() as workspace:
        saved, found = apply_baseline(workspace, name, doc, author=who, reason=reason)
    print_saved(saved)
    if saved.changed:
        stdout().print(
            f"{len(found.affected)} of {found.using} tenant(s) using {name} changed"
            + (f": {', '.join(t.tenant for t in found.affected)}" if found.affected else "")
        )


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    name: NameArgument,
    revision: Annotated[int, typer.Argument(help="The revision to restore.")],
    reason: ReasonOption,
    author: AuthorOption = None,
) -> None:
    """Restore an older revision of a baseline, as a new revision (history is kept)."""
    who = resolve_author(author)
    with state(ctx).open() as workspace:
        saved, found = rollback_baseline(workspace, name, revision, author=who, reason=reason)
    print_saved(saved)
    if saved.changed:
        stdout().print(f"{len(found.affected)} of {found.using} tenant(s) using {name} changed")


@app.command("history")
def history(
    ctx: typer.Context,
    name: NameArgument,
    limit: Annotated[int | None, typer.Option(help="At most this many, newest first.")] = None,
    json_output: JsonOption = False,
) -> None:
    """The revisions of a baseline: who changed it, when and why."""
    with state(ctx).open() as workspace:
        revisions = baseline_history(workspace, name, limit=limit)
    label = f"baseline {name}" if name == DEFAULT_BASELINE else f"tier {name}"
    print_history(label, revisions, json_output)


@app.command("diff")
def diff(
    ctx: typer.Context,
    name: NameArgument,
    from_revision: Annotated[
        int | None,
        typer.Option("--from", help="Older revision (default: the one before --to; 0: empty)."),
    ] = None,
    to_revision: Annotated[
        int | None, typer.Option("--to", help="Newer revision (default: the newest).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """What changed in a baseline between two revisions."""
    with state(ctx).open() as workspace:
        found = baseline_diff(workspace, name, before=from_revision, after=to_revision)
    label = f"baseline {name}" if name == DEFAULT_BASELINE else f"tier {name}"
    print_diff(label, found, json_output)
