"""How `remit map` and `remit baseline` show things: tables for people, JSON for scripts."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from remit.cli.output import print_json, stdout
from remit.controlmap.baselines import BaselineInfo, Plan
from remit.controlmap.service import Explained, RevisionDiff, Saved
from remit.errors import InvalidInput
from remit.governance.expiry import ExceptionState, approval_expired, exception_state
from remit.governance.layers import Layer
from remit.governance.model import ControlMapDoc
from remit.governance.paths import (
    CONTROL_FIELDS,
    FieldPath,
    access_key,
    account_key,
    layer_json,
)
from remit.governance.revisions import Change, Revision, describe
from remit.governance.validate import KnownIds
from remit.governance.yamlio import load_yaml

_STATE_COLOUR = {
    ExceptionState.ACTIVE: "green",
    ExceptionState.EXPIRED: "red",
    ExceptionState.UNSIGNED: "yellow",
}
_LETTERS = {
    "raci.responsible": "R",
    "raci.accountable": "A",
    "raci.consulted": "C",
    "raci.informed": "I",
}


def read_document(file: str, known: KnownIds | None = None) -> ControlMapDoc:
    """A control-map YAML file (``-``: standard input), validated whole."""
    if file == "-":
        return load_yaml(sys.stdin.read(), "<stdin>", known)
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"{file}: no such file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{file}: not UTF-8 text; a control map is a YAML file") from None
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot read the file ({exc.strerror})") from None
    return load_yaml(text, file, known)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _names(value: Sequence[str] | str) -> str:
    return escape(", ".join(value) if isinstance(value, list | tuple) else str(value)) or "-"


def _day(value: date | None) -> str:
    return value.isoformat() if value else "-"


# --- changes ------------------------------------------------------------------------------------


def print_changes(changes: Sequence[Change], *, indent: str = "  ") -> None:
    colours = {"added": "green", "removed": "red", "changed": "yellow"}
    for change in changes:
        colour = colours[change.kind.value]
        stdout().print(f"{indent}[{colour}]{escape(change.line())}[/]")


def print_saved(saved: Saved) -> None:
    if saved.revision is None:
        stdout().print(
            f"{escape(saved.layer)}: nothing changed (revision {saved.previous} already says so)"
        )
        return
    count = len(saved.changes)
    restored = (
        f", restoring revision {saved.revision.restored_from}"
        if saved.revision.restored_from is not None
        else ""
    )
    stdout().print(
        f"{escape(saved.layer)}: revision {saved.revision.number} stored{restored} "
        f"({count} change{'s' if count != 1 else ''})"
    )
    print_changes(saved.changes)


# --- the effective map --------------------------------------------------------------------------


def _set_by(sources: dict[str, str]) -> str:
    """``baseline default`` or ``baseline default; tenant contoso (A, status)``."""
    counts = Counter(sources.values())
    if not counts:
        return "-"
    main = counts.most_common(1)[0][0]
    others: dict[str, list[str]] = {}
    for field, label in sources.items():
        if label != main:
            others.setdefault(label, []).append(_LETTERS.get(field, field))
    extra = "; ".join(f"{label} ({', '.join(fields)})" for label, fields in others.items())
    return escape(main + (f"; {extra}" if extra else ""))


def _layers_line(explained: Explained) -> str:
    parts = [
        f"{layer.label} (revision {layer.revision})" if layer.revision else f"{layer.label} (none)"
        for layer in explained.stack.layers
    ]
    return " → ".join(parts)


def _controls_table(explained: Explained, explain: bool) -> Table:
    table = Table(title="Controls", title_justify="left")
    table.add_column("Control", no_wrap=True)
    for column in ("Responsible", "Accountable", "Consulted", "Informed", "Status"):
        table.add_column(column)
    table.add_column("Evidence", overflow="fold")
    if explain:
        table.add_column("Set by")
    for control_id, entry in explained.doc.controls.items():
        row = [
            escape(control_id),
            _names(entry.raci.responsible),
            _names(entry.raci.accountable),
            _names(entry.raci.consulted),
            _names(entry.raci.informed),
            entry.status.value,
            escape(entry.evidence) or "-",
        ]
        if explain:
            sources = {
                field: explained.resolved.source_of(FieldPath("controls", control_id, field))
                for field in CONTROL_FIELDS
            }
            row.append(_set_by(sources))
        table.add_row(*row)
    return table


def print_map(explained: Explained, *, today: date, explain: bool) -> None:
    doc = explained.doc
    resolved = explained.resolved
    console = stdout()
    console.print(f"[bold]{escape(explained.stack.tenant.name)}[/] — effective control map")
    console.print(f"layers: {escape(_layers_line(explained))}")
    console.print(_controls_table(explained, explain))

    objectives = Table(title="Recovery objectives", title_justify="left")
    for column in ("Workload", "RTO", "RPO", "Business owner", *(["Set by"] if explain else [])):
        objectives.add_column(column)
    for workload, objective in doc.objectives.items():
        row = [str(workload), objective.rto, objective.rpo, escape(objective.owner)]
        if explain:
            row.append(escape(resolved.source_of(FieldPath("objectives", str(workload)))))
        objectives.add_row(*row)
    console.print(objectives if doc.objectives else "[dim]No recovery objectives.[/]")

    access = Table(title="Approved privileged access", title_justify="left")
    columns = ("Principal", "Role", "Kind", "Until", "Contractor until", "Approved by", "Ticket")
    for column in (*columns, "State", *(["Set by"] if explain else [])):
        access.add_column(column)
    for item in doc.privileged_access:
        expired = approval_expired(item, today)
        row = [
            escape(item.principal),
            escape(item.role),
            item.kind.value,
            _day(item.until),
            _day(item.contractor_until),
            escape(item.approved_by) or "-",
            escape(item.ticket) or "-",
            "[red]expired[/]" if expired else "[green]approved[/]",
        ]
        if explain:
            path = FieldPath("privileged_access", access_key(item))
            row.append(escape(resolved.source_of(path)))
        access.add_row(*row)
    console.print(access if doc.privileged_access else "[dim]No approved privileged access.[/]")

    if doc.emergency_accounts:
        names = []
        for account in doc.emergency_accounts:
            source = resolved.source_of(FieldPath("emergency_accounts", account_key(account)))
            names.append(escape(account) + (f" ({escape(source)})" if explain else ""))
        console.print(f"[bold]Emergency-access accounts[/]: {', '.join(names)}")
    else:
        console.print("[dim]No emergency-access accounts designated.[/]")

    exceptions = Table(title="Exceptions", title_justify="left")
    for column in ("Control", "Reason", "Compensating control", "Expires", "Signed off", "State"):
        exceptions.add_column(column)
    if explain:
        exceptions.add_column("Set by")
    for exception in doc.exceptions:
        state = exception_state(exception, today)
        signed = (
            f"{escape(exception.signed_off_by)} {_when(exception.signed_off_at)}".strip()
            if exception.signed_off_by
            else "-"
        )
        row = [
            escape(exception.control),
            escape(exception.reason),
            escape(exception.compensating_control) or "-",
            exception.expires.isoformat(),
            signed,
            f"[{_STATE_COLOUR[state]}]{state.value}[/]",
        ]
        if explain:
            row.append(escape(resolved.source_of(FieldPath("exceptions", exception.control))))
        exceptions.add_row(*row)
    console.print(exceptions if doc.exceptions else "[dim]No exceptions.[/]")


def layer_ref_json(layer: Layer) -> dict[str, Any]:
    return {
        "kind": layer.kind.value,
        "name": layer.name,
        "label": layer.label,
        "revision": layer.revision,
    }


def map_json(explained: Explained, *, today: date, explain: bool) -> dict[str, Any]:
    doc = explained.doc
    out: dict[str, Any] = {
        "tenant": explained.stack.tenant.name,
        "tier": explained.stack.tier.tier.name if explained.stack.tier else None,
        "layers": [layer_ref_json(layer) for layer in explained.stack.layers],
        "map": layer_json(doc),
        "exception_states": {e.control: exception_state(e, today).value for e in doc.exceptions},
        "expired_approvals": [
            access_key(a) for a in doc.privileged_access if approval_expired(a, today)
        ],
    }
    if explain:
        out["sources"] = {str(path): label for path, label in explained.resolved.sources.items()}
    return out


# --- history, diffs ------------------------------------------------------------------------------


def revision_json(revision: Revision) -> dict[str, Any]:
    return {
        "revision": revision.number,
        "author": revision.author,
        "created_at": revision.created_at.isoformat(),
        "reason": revision.reason,
        "content_hash": revision.content_hash,
        "restored_from": revision.restored_from,
    }


def print_history(label: str, revisions: Sequence[Revision], json_output: bool) -> None:
    if json_output:
        print_json([revision_json(r) for r in revisions])
        return
    if not revisions:
        stdout().print(f"{escape(label)} has no revisions yet.")
        return
    table = Table(title=f"{escape(label)}: revisions, newest first", title_justify="left")
    for column in ("Revision", "When (UTC)", "Author", "Reason", "Hash"):
        table.add_column(column)
    for revision in revisions:
        reason = revision.reason + (
            f" (restores {revision.restored_from})" if revision.restored_from else ""
        )
        table.add_row(
            str(revision.number),
            _when(revision.created_at),
            escape(revision.author),
            escape(reason),
            revision.content_hash[:12],
        )
    stdout().print(table)


def diff_json(label: str, found: RevisionDiff) -> dict[str, Any]:
    return {
        "layer": label,
        "from": revision_json(found.before) if found.before else None,
        "to": revision_json(found.after),
        "changes": [c.as_json() for c in found.changes],
    }


def print_diff(label: str, found: RevisionDiff, json_output: bool) -> None:
    if json_output:
        print_json(diff_json(label, found))
        return
    start = f"revision {found.before.number}" if found.before else "the empty layer"
    stdout().print(
        f"[bold]{escape(label)}[/]: {start} → revision {found.after.number} "
        f"({len(found.changes)} change{'s' if len(found.changes) != 1 else ''})"
    )
    print_changes(found.changes)


# --- baselines -----------------------------------------------------------------------------------


def baseline_json(info: BaselineInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "kind": info.kind,
        "revision": info.revision,
        "updated_at": info.updated_at.isoformat(),
        "author": info.author,
        "reason": info.reason,
        "tenants": list(info.tenants),
    }


def print_baselines(infos: Sequence[BaselineInfo], json_output: bool) -> None:
    if json_output:
        print_json([baseline_json(i) for i in infos])
        return
    table = Table(title="Baselines", title_justify="left")
    for column in ("Name", "Kind", "Revision", "Changed (UTC)", "By", "Tenants"):
        table.add_column(column)
    for info in infos:
        users = "all" if info.kind == "default" else str(len(info.tenants))
        table.add_row(
            escape(info.name),
            info.kind,
            str(info.revision),
            _when(info.updated_at),
            escape(info.author),
            users,
        )
    stdout().print(table)


def print_baseline(info: BaselineInfo, layer: Layer, json_output: bool) -> None:
    if json_output:
        print_json(baseline_json(info) | {"layer": layer_json(layer.doc)})
        return
    console = stdout()
    console.print(
        f"[bold]{escape(layer.label)}[/], revision {info.revision} ({_when(info.updated_at)} by "
        f"{escape(info.author)}: {escape(info.reason)})"
    )
    users = ", ".join(info.tenants) or "none"
    console.print(f"used by: {'every tenant' if info.kind == 'default' else escape(users)}")
    doc = layer.doc
    table = Table(title="Controls this baseline sets", title_justify="left")
    for column in ("Control", "Responsible", "Accountable", "Consulted", "Informed", "Status"):
        table.add_column(column)
    table.add_column("Evidence", overflow="fold")
    for control_id, entry in doc.controls.items():
        given = entry.model_fields_set
        letters = entry.raci.model_fields_set if "raci" in given else set()

        def cell(letter: str, value: Sequence[str] | str, known: set[str] = letters) -> str:
            return _names(value) if letter in known else "[dim]·[/]"

        table.add_row(
            escape(control_id),
            cell("responsible", entry.raci.responsible),
            cell("accountable", entry.raci.accountable),
            cell("consulted", entry.raci.consulted),
            cell("informed", entry.raci.informed),
            entry.status.value if "status" in given else "[dim]·[/]",
            (escape(entry.evidence) or "-") if "evidence" in given else "[dim]·[/]",
        )
    console.print(table if doc.controls else "[dim]Sets no control.[/]")
    for workload, objective in doc.objectives.items():
        console.print(
            f"objective {workload}: RTO {objective.rto}, RPO {objective.rpo}, "
            f"owner {escape(objective.owner)}"
        )
    extra = (len(doc.privileged_access), len(doc.emergency_accounts), len(doc.exceptions))
    if any(extra):
        console.print(
            f"also: {extra[0]} approvals, {extra[1]} emergency accounts, {extra[2]} exceptions "
            "(`remit baseline export` shows them)"
        )


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "baseline": plan.baseline,
        "kind": plan.kind,
        "revision": plan.revision,
        "using": plan.using,
        "layer_changes": [c.as_json() for c in plan.layer_changes],
        "tenants": [
            {
                "tenant": t.tenant,
                "changes": [c.as_json() for c in t.changes],
                "conflicts": [
                    {
                        "path": str(c.path),
                        "masked_by": c.masked_by,
                        "override": c.override,
                        "proposed": c.proposed,
                    }
                    for c in t.conflicts
                ],
            }
            for t in plan.tenants
        ],
    }


def print_plan(plan: Plan) -> None:
    console = stdout()
    count = len(plan.layer_changes)
    console.print(
        f"[bold]{'baseline' if plan.kind == 'default' else 'tier'} {escape(plan.baseline)}[/] "
        f"(revision {plan.revision}): "
        f"{count} change{'s' if count != 1 else ''} to the baseline"
    )
    print_changes(plan.layer_changes)
    affected = plan.affected
    console.print(
        f"{len(affected)} of {plan.using} tenant{'s' if plan.using != 1 else ''} using it "
        f"would change"
    )
    for tenant in plan.tenants:
        console.print(f"[bold]{escape(tenant.tenant)}[/]: {len(tenant.changes)} change(s)")
        print_changes(tenant.changes, indent="    ")
        for conflict in tenant.conflicts:
            console.print(
                f"    [magenta]! {escape(str(conflict.path))}: kept as "
                f"{escape(_value(conflict.override))} by {escape(conflict.masked_by)} (the change "
                f"would set {escape(_value(conflict.proposed))})[/]"
            )


def _value(value: Any) -> str:
    return describe(value)
