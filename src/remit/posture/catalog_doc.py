"""Render the catalogue as Markdown: ``docs/reference/catalogue.md`` is this module's output.

    python -m remit.posture.catalog_doc > docs/reference/catalogue.md

The page shows both layouts of the shared-responsibility matrix as tables, then every control
grouped by its row in the earlier (classic) layout, with how it is assessed, its references and
the checks that evidence it. The output depends on the catalogue only (no dates, no paths), so a
test can compare the committed page with a fresh rendering.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from remit.posture.catalog import (
    Assessment,
    Catalog,
    CheckMeta,
    Control,
    MatrixLayout,
    Owner,
    default_catalog,
)

GROUPING_LAYOUT = "classic"  # controls are grouped by their row in this layout

COLUMN_TITLES = {"on-prem": "On-premises", "iaas": "IaaS", "paas": "PaaS", "saas": "SaaS"}
OWNER_TITLES = {
    "customer": "Customer",
    "microsoft": "Microsoft",
    "shared": "Shared",
    Owner.MSP.value: "MSP",
}
ASSESSMENT_TITLES = {
    Assessment.AUTOMATED: "automated check",
    Assessment.ATTESTATION: "attestation by a person, with evidence",
    Assessment.BACKUP_EVIDENCE: "evidence from Remit's backups and restore tests",
}
SAAS = "saas"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _layout(layout: MatrixLayout) -> list[str]:
    header = ["Responsibility", *(COLUMN_TITLES.get(c, c) for c in layout.columns)]
    rows = [
        [row.title, *(OWNER_TITLES.get(row.cells[c], row.cells[c]) for c in layout.columns)]
        for row in layout.rows
    ]
    return [
        f"### {layout.title}",
        "",
        f"Layout id `{layout.id}`, as of {layout.as_of.isoformat()}, from <{layout.source}>.",
        "",
        " ".join(layout.note.split()),
        "",
        *_table(header, rows),
        "",
    ]


def _references(control: Control) -> list[str]:
    refs = control.references
    lines: list[str] = []
    if refs.scuba:
        lines.append("- CISA SCuBA: " + ", ".join(f"`{r}`" for r in refs.scuba))
    if refs.cis:
        lines.append("- CIS Microsoft 365 Foundations v7: " + ", ".join(f"`{r}`" for r in refs.cis))
    lines += [f"- Microsoft: <{url}>" for url in refs.microsoft]
    return lines or ["- none"]


def _checks(control: Control, checks: list[CheckMeta]) -> list[str]:
    if checks:
        return _table(
            ["Check", "Title", "Severity"],
            ([f"`{c.id}`", c.title, c.severity.value] for c in checks),
        )
    if control.assessment is Assessment.AUTOMATED:
        return ["No check evidences this control yet."]
    if control.assessment is Assessment.BACKUP_EVIDENCE:
        return ["None: Remit reports it as MANUAL, with its backups and restore tests as evidence."]
    return ["None: Remit reports it as MANUAL until a person attests it with evidence."]


def _control(control: Control, catalog: Catalog, checks: list[CheckMeta]) -> list[str]:
    other_rows = ", ".join(
        f"{_row_title(catalog, layout, row)} ({layout} layout)"
        for layout, row in sorted(control.matrix_rows.items())
        if layout != GROUPING_LAYOUT
    )
    how = ASSESSMENT_TITLES[control.assessment]
    lines = [
        f"#### `{control.id}`: {' '.join(control.title.split())}",
        "",
        f"- Workload: {control.workload}",
        f"- Default owner: {OWNER_TITLES.get(control.default_owner.value)}",
        f"- Row in the other layouts: {other_rows or 'none'}",
        f"- Assessed by: {how}",
    ]
    if control.why_not_automated:
        lines.append(f"- Why not automated: {' '.join(control.why_not_automated.split())}")
    lines += ["", "References:", "", *_references(control), "", "Checks:", ""]
    lines += [*_checks(control, checks), ""]
    return lines


def _row_title(catalog: Catalog, layout_id: str, row_id: str) -> str:
    layout = next(m for m in catalog.matrix if m.id == layout_id)
    return next(r.title for r in layout.rows if r.id == row_id)


def _index(
    catalog: Catalog, grouping: MatrixLayout, checks: dict[str, list[CheckMeta]]
) -> list[str]:
    rows = {row.id: row.title for row in grouping.rows}
    table = _table(
        ["Control", f"Row (`{grouping.id}`)", "Default owner", "Assessed by", "Checks"],
        (
            [
                f"`{c.id}`",
                rows.get(c.matrix_rows.get(grouping.id, ""), "?"),
                OWNER_TITLES.get(c.default_owner.value, c.default_owner.value),
                c.assessment.value,
                str(len(checks.get(c.id, []))),
            ]
            for c in catalog.controls
        ),
    )
    return ["## Index of controls", "", *table, ""]


def _summary(catalog: Catalog) -> str:
    counts = {a: sum(c.assessment is a for c in catalog.controls) for a in Assessment}
    return (
        f"{len(catalog.controls)} controls: {counts[Assessment.AUTOMATED]} assessed by automated "
        f"checks, {counts[Assessment.ATTESTATION]} by attestation, "
        f"{counts[Assessment.BACKUP_EVIDENCE]} by backup evidence; {len(catalog.checks)} checks."
    )


def render(catalog: Catalog) -> str:
    """The whole Markdown page for ``catalog``."""
    lines = [
        "# Control catalogue",
        "",
        "<!-- Generated from src/remit/posture/catalog/ by "
        "`python -m remit.posture.catalog_doc > docs/reference/catalogue.md`; do not edit. -->",
        "",
        "Remit's catalogue is data: the shared-responsibility matrix (`matrix.yaml`), the "
        "controls (`controls.yaml`) and the metadata of the checks that evidence them "
        "(`checks/*.yaml`), all in `src/remit/posture/catalog/`. This page is generated from "
        "those files.",
        "",
        _summary(catalog),
        "",
        "## The shared-responsibility matrix",
        "",
        "Who owns each row in each service model, as Microsoft publishes it. Microsoft 365 is "
        "SaaS: the rows the customer keeps in the SaaS column are the side an MSP runs.",
        "",
    ]
    for layout in catalog.matrix:
        lines += _layout(layout)
    grouping = next(m for m in catalog.matrix if m.id == GROUPING_LAYOUT)
    checks_by_control: dict[str, list[CheckMeta]] = {}
    for check in catalog.checks:
        checks_by_control.setdefault(check.control, []).append(check)
    lines += _index(catalog, grouping, checks_by_control)
    lines += [
        "## Controls",
        "",
        f"Grouped by their row in the `{grouping.id}` layout, the earlier one that MSP "
        "contracts quote. Default owner: MSP (the MSP runs it for the client), Customer (the "
        "client keeps it), Shared (both have a part), Microsoft; it applies unless the "
        "tenant's control map says otherwise.",
        "",
    ]
    empty: list[str] = []
    for row in grouping.rows:
        controls = [c for c in catalog.controls if c.matrix_rows.get(GROUPING_LAYOUT) == row.id]
        if not controls:
            empty.append(f"{row.title} (SaaS: {OWNER_TITLES.get(row.cells.get(SAAS, ''), '?')})")
            continue
        owner = OWNER_TITLES.get(row.cells.get(SAAS, ""), "?")
        lines += [f"### {row.title}", "", f"SaaS owner in this layout: {owner}.", ""]
        for control in controls:
            lines += _control(control, catalog, checks_by_control.get(control.id, []))
    if empty:
        lines += [
            "### Rows without controls",
            "",
            "Microsoft runs these layers of a SaaS service such as Microsoft 365, so Remit has no "
            "control for them: " + "; ".join(empty) + ".",
            "",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> None:
    sys.stdout.write(render(default_catalog()))


if __name__ == "__main__":
    main()
