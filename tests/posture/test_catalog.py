"""The shipped catalogue: it loads, it is consistent with its references, broken copies are
rejected with the file and the line, and the generated reference page never drifts."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path

import pytest
import yaml

from remit.errors import InvalidInput
from remit.posture.catalog import Assessment, Catalog, load_catalog
from remit.posture.catalog_doc import main, render

REPO = Path(__file__).resolve().parents[2]
SCUBA_BASELINES = REPO.parent / "shared" / "reference" / "scubagear" / "ScubaBaselines.json"
CATALOGUE_DOC = REPO / "docs" / "reference" / "catalogue.md"
REGENERATE = "python -m remit.posture.catalog_doc > docs/reference/catalogue.md"

SCUBA_ID = re.compile(r"^MS\.[A-Z]+\.\d+\.\d+v\d+$")
CIS_ID = re.compile(r"^\d+(\.\d+)+$")
LEARN_URL = re.compile(r"^https://learn\.microsoft\.com/(?![a-z]{2}-[a-z]{2}/)[a-z0-9][\w./#-]*$")


@cache
def shipped() -> Catalog:
    return load_catalog()


@cache
def scuba_ids() -> frozenset[str]:
    """Every policy id in CISA's ScubaBaselines.json (the shared reference beside the repo)."""
    if not SCUBA_BASELINES.is_file():
        pytest.fail(
            f"SCuBA reference not found at {SCUBA_BASELINES}; put ../shared beside the repo"
        )
    baselines = json.loads(SCUBA_BASELINES.read_text(encoding="utf-8"))["baselines"]
    return frozenset(policy["id"] for product in baselines.values() for policy in product)


# --- the shipped catalogue ----------------------------------------------------------------------


def test_the_shipped_catalogue_loads() -> None:
    catalog = shipped()
    ids = [c.id for c in catalog.controls]
    assert len(ids) == len(set(ids))
    assert {layout.id for layout in catalog.matrix} == {"current", "classic"}
    # Controls other modules name by id are still there.
    assert {"identity.mfa-all-users", "privileged.global-admin-count", "devices.compliance"} <= set(
        ids
    )


def test_every_control_names_a_row_of_every_layout() -> None:
    catalog = shipped()
    rows = {layout.id: {row.id for row in layout.rows} for layout in catalog.matrix}
    for control in catalog.controls:
        assert set(control.matrix_rows) == set(rows), control.id
        for layout, row in control.matrix_rows.items():
            assert row in rows[layout], f"{control.id}: {layout} has no row {row}"


def test_every_scuba_reference_exists_in_the_baselines() -> None:
    catalog = shipped()
    known = scuba_ids()
    cited = {(c.id, ref) for c in catalog.controls for ref in c.references.scuba}
    cited |= {(m.id, ref) for m in catalog.checks for ref in m.references if ref.startswith("MS.")}
    assert cited, "the catalogue cites no SCuBA policy at all"
    unknown = sorted((owner, ref) for owner, ref in cited if ref not in known)
    assert not unknown, f"SCuBA ids not in ScubaBaselines.json: {unknown}"
    assert all(SCUBA_ID.match(ref) for _, ref in cited)


def test_references_are_well_formed() -> None:
    catalog = shipped()
    for control in catalog.controls:
        refs = control.references
        assert refs.microsoft, f"{control.id} cites no Microsoft documentation"
        for cis in refs.cis:
            assert CIS_ID.match(cis), f"{control.id}: CIS id {cis!r} is not a recommendation number"
        for url in refs.microsoft:
            assert LEARN_URL.match(url), f"{control.id}: {url} is not a locale-free Learn page"
    for check in catalog.checks:
        for ref in check.references:
            # Findings carry these strings as they are: "MS.AAD.7.1v1", "CIS 1.1.3" or a page.
            assert (
                SCUBA_ID.match(ref) or re.match(r"^CIS \d+(\.\d+)+$", ref) or LEARN_URL.match(ref)
            ), f"{check.id}: reference {ref!r} is not a SCuBA id, a CIS id or a Learn page"


def test_the_aad_baseline_policies_the_issue_lists_are_all_mapped() -> None:
    wanted = {
        "1.1",
        "2.1",
        "2.3",
        *(f"3.{n}" for n in range(1, 10)),
        "5.1",
        "5.2",
        "5.3",
        "5.5",
        "5.6",
        "5.7",
        "6.1",
        *(f"7.{n}" for n in range(1, 10)),
        "8.1",
        "8.2",
    }
    cited = {
        ref.split("MS.AAD.")[1].rsplit("v", 1)[0]
        for control in shipped().controls
        if control.assessment is Assessment.AUTOMATED
        for ref in control.references.scuba
        if ref.startswith("MS.AAD.")
    }
    assert wanted - cited == set()


def test_every_control_that_is_not_automated_says_why() -> None:
    catalog = shipped()
    not_automated = [c for c in catalog.controls if c.assessment is not Assessment.AUTOMATED]
    assert {c.assessment for c in not_automated} == {
        Assessment.ATTESTATION,
        Assessment.BACKUP_EVIDENCE,
    }
    for control in not_automated:
        assert len(control.why_not_automated.split()) >= 8, control.id
    for control in catalog.controls:
        if control.assessment is Assessment.AUTOMATED:
            assert not control.why_not_automated, f"{control.id} is automated but explains why not"


def _cells(layout_id: str) -> dict[str, dict[str, str]]:
    layout = next(m for m in shipped().matrix if m.id == layout_id)
    assert layout.columns == ["on-prem", "iaas", "paas", "saas"]
    return {row.id: dict(row.cells) for row in layout.rows}


def test_classic_layout_the_customer_owns_data_devices_and_identities_everywhere() -> None:
    cells = _cells("classic")
    for row in ("information-and-data", "devices", "accounts-and-identities"):
        assert set(cells[row].values()) == {"customer"}, row
    assert cells["identity-and-directory-infrastructure"]["saas"] == "shared"
    for row in ("applications", "network-controls", "operating-system"):
        assert cells[row]["saas"] == "microsoft", row


def test_current_layout_follows_microsofts_table() -> None:
    cells = _cells("current")
    for row in ("customer-data", "configurations-and-settings", "identities-and-users"):
        assert set(cells[row].values()) == {"customer"}, row
    # Microsoft's current table marks client devices shared in SaaS (and never Microsoft's).
    assert cells["client-devices"] == {
        "on-prem": "customer",
        "iaas": "customer",
        "paas": "customer",
        "saas": "shared",
    }
    assert cells["applications"]["saas"] == "shared"
    for row in ("physical-hosts", "physical-network", "physical-datacenter"):
        assert cells[row] == {
            "on-prem": "customer",
            "iaas": "microsoft",
            "paas": "microsoft",
            "saas": "microsoft",
        }


def test_both_layouts_are_dated_and_sourced() -> None:
    for layout in shipped().matrix:
        assert LEARN_URL.match(layout.source), layout.id
        assert layout.note.strip(), layout.id
        assert layout.as_of.year >= 2020, layout.id


# --- broken copies are rejected with the file and the line ----------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A private copy of the shipped catalogue folder, to break one thing in."""
    target = tmp_path / "catalog"
    with resources.as_file(resources.files("remit.posture") / "catalog") as source:
        shutil.copytree(source, target)
    return target


def _line(text: str, exact: str) -> int:
    """1-based number of the first line of ``text`` that is exactly ``exact``."""
    return text.splitlines().index(exact) + 1


def _first_control(folder: Path) -> tuple[str, str]:
    text = (folder / "controls.yaml").read_text(encoding="utf-8")
    return text, yaml.safe_load(text)["controls"][0]["id"]


def _edit_field(text: str, control_id: str, field: str, edit: Callable[[str], str | None]) -> str:
    """Rewrite (or, when ``edit`` returns None, drop) ``field`` of one control's block."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"  - id: {control_id}\n")
    at = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(f"    {field}:"))
    new = edit(lines[at])
    lines[at : at + 1] = [] if new is None else [new]
    return "".join(lines)


def _rejects(folder: Path, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_catalog(folder)
    assert str(caught.value) == message


def test_an_untouched_copy_loads(copy: Path) -> None:
    assert load_catalog(copy) == shipped()


def test_bad_yaml_syntax_names_the_file_and_line(copy: Path) -> None:
    text, first = _first_control(copy)
    broken = _edit_field(text, first, "title", lambda line: "\t" + line.lstrip(" "))
    (copy / "controls.yaml").write_text(broken, encoding="utf-8")
    line = next(n for n, s in enumerate(broken.splitlines(), 1) if s.startswith("\t"))
    _rejects(copy, f"controls.yaml: line {line}: found character '\\t' that cannot start any token")


def test_a_duplicate_yaml_key_names_the_file_and_line(copy: Path) -> None:
    text, first = _first_control(copy)
    broken = _edit_field(text, first, "workload", lambda line: line + "    workload: again\n")
    (copy / "controls.yaml").write_text(broken, encoding="utf-8")
    _rejects(
        copy,
        f"controls.yaml: line {_line(broken, '    workload: again')}: duplicate key 'workload'",
    )


def test_an_unknown_control_owner_names_the_file_and_line(copy: Path) -> None:
    text, first = _first_control(copy)
    broken = _edit_field(text, first, "default_owner", lambda _: "    default_owner: vendor\n")
    (copy / "controls.yaml").write_text(broken, encoding="utf-8")
    _rejects(
        copy,
        f"controls.yaml: line {_line(broken, '    default_owner: vendor')}: "
        "controls.0.default_owner: Input should be 'microsoft', 'msp', 'customer' or 'shared'",
    )


def test_an_unknown_matrix_owner_names_the_file_and_line(copy: Path) -> None:
    text = (copy / "matrix.yaml").read_text(encoding="utf-8")
    row = yaml.safe_load(text)["layouts"][0]["rows"][0]
    before = "        cells: {" + ", ".join(f"{k}: {v}" for k, v in row["cells"].items()) + "}"
    after = before.replace("saas: customer", "saas: partner")
    assert after != before
    (copy / "matrix.yaml").write_text(text.replace(before, after, 1), encoding="utf-8")
    _rejects(
        copy,
        f"matrix.yaml: line {_line(text, before)}: layouts.0.rows.0.cells.saas: "
        "Input should be 'customer', 'microsoft' or 'shared'",
    )


def test_a_missing_field_names_the_file_and_the_controls_line(copy: Path) -> None:
    text, first = _first_control(copy)
    broken = _edit_field(text, first, "workload", lambda _: None)
    (copy / "controls.yaml").write_text(broken, encoding="utf-8")
    _rejects(
        copy,
        f"controls.yaml: line {_line(broken, f'  - id: {first}')}: "
        "controls.0.workload: Field required",
    )


def test_an_attested_control_without_a_reason_is_rejected(copy: Path) -> None:
    text = (copy / "controls.yaml").read_text(encoding="utf-8")
    controls = yaml.safe_load(text)["controls"]
    index, attested = next(
        (i, c) for i, c in enumerate(controls) if c["assessment"] == Assessment.ATTESTATION
    )
    lines = text.splitlines(keepends=True)
    start = lines.index(f"  - id: {attested['id']}\n")
    at = next(i for i in range(start, len(lines)) if lines[i].startswith("    why_not_automated:"))
    end = next(i for i in range(at + 1, len(lines)) if not lines[i].startswith("      "))
    del lines[at:end]
    (copy / "controls.yaml").write_text("".join(lines), encoding="utf-8")
    _rejects(
        copy,
        f"controls.yaml: line {start + 1}: controls.{index}: Value error, a control that is not "
        "automated must say why (why_not_automated)",
    )


def test_a_duplicate_control_id_names_the_second_one(copy: Path) -> None:
    text, first = _first_control(copy)
    block = text.split(f"  - id: {first}\n", 1)[1].split("\n\n", 1)[0]
    broken = text.rstrip("\n") + f"\n\n  - id: {first}\n{block}\n"
    (copy / "controls.yaml").write_text(broken, encoding="utf-8")
    second = len(broken.splitlines()) - block.count("\n") - 1
    assert broken.splitlines()[second - 1] == f"  - id: {first}"
    _rejects(copy, f"controls.yaml: line {second}: duplicate control id '{first}'")


def test_a_control_naming_an_unknown_row_names_the_file_and_line(copy: Path) -> None:
    text, first = _first_control(copy)
    broken = _edit_field(
        text,
        first,
        "matrix_rows",
        lambda line: re.sub(r"classic: [\w-]+", "classic: basement", line),
    )
    (copy / "controls.yaml").write_text(broken, encoding="utf-8")
    _rejects(
        copy,
        f"controls.yaml: line {_line(broken, f'  - id: {first}')}: control '{first}' names row "
        "'basement', which the 'classic' layout in matrix.yaml does not have",
    )


def test_a_check_naming_an_unknown_control_names_its_file_and_line(copy: Path) -> None:
    (copy / "checks" / "zz-broken.yaml").write_text(
        "# a check file with one mistake\n"
        "checks:\n"
        "  - id: zz.orphan\n"
        "    control: identity.does-not-exist\n"
        "    title: An orphan check\n"
        "    severity: high\n"
        "    rationale: It names a control the catalogue does not define.\n"
        "    remediation: Name a real control.\n",
        encoding="utf-8",
    )
    _rejects(
        copy,
        "checks/zz-broken.yaml: line 3: check 'zz.orphan' names control "
        "'identity.does-not-exist', which controls.yaml does not define",
    )


# --- the generated reference page -----------------------------------------------------------------


def test_the_committed_catalogue_page_is_the_generated_one() -> None:
    committed = CATALOGUE_DOC.read_text(encoding="utf-8") if CATALOGUE_DOC.is_file() else ""
    assert committed == render(shipped()), f"docs/reference/catalogue.md is stale: run {REGENERATE}"


def test_the_page_shows_both_matrices_and_every_control_and_check() -> None:
    catalog = shipped()
    page = render(catalog)
    for layout in catalog.matrix:
        assert f"### {layout.title}" in page
        for row in layout.rows:
            cells = " | ".join(row.cells[c].capitalize() for c in layout.columns)
            assert f"| {row.title} | {cells} |" in page
    for control in catalog.controls:
        assert page.count(f"#### `{control.id}`:") == 1, control.id
    for check in catalog.checks:
        assert f"| `{check.id}` |" in page, check.id


def test_the_page_lists_a_control_under_its_classic_row_with_its_checks(copy: Path) -> None:
    (copy / "checks" / "zz-extra.yaml").write_text(
        "checks:\n"
        "  - id: zz.mfa-for-everyone\n"
        "    control: identity.mfa-all-users\n"
        "    title: Conditional access requires MFA for all users\n"
        "    severity: critical\n"
        "    rationale: r\n"
        "    remediation: r\n",
        encoding="utf-8",
    )
    page = render(load_catalog(copy))
    section = page.split("### Accounts and identities\n", 1)[1].split("\n### ", 1)[0]
    control = section.split("#### `identity.mfa-all-users`:", 1)[1].split("\n#### ", 1)[0]
    assert "- Assessed by: automated check" in control
    assert "`5.2.2.2`" in control
    assert (
        "| `zz.mfa-for-everyone` | Conditional access requires MFA for all users | critical |"
        in (control)
    )
    attested = page.split("#### `data.dlp-policies`:", 1)[1].split("\n#### ", 1)[0]
    assert "- Why not automated: Purview DLP policies" in attested
    assert "MANUAL" in attested


def test_the_module_prints_the_page_for_the_shipped_catalogue(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main()
    assert capsys.readouterr().out == render(shipped())
