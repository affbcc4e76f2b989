"""The catalogue: the shared-responsibility matrix, the controls, and the checks' metadata.

All three are YAML files shipped in ``remit/posture/catalog/`` (data, not code), validated when
loaded; a mistake is reported with the file, the line and what is wrong.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import date
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from remit.errors import InvalidInput
from remit.posture.model import Severity
from remit.yamlfile import LocatedDocument, YamlError, load_located


class Owner(enum.StrEnum):
    MICROSOFT = "microsoft"
    MSP = "msp"
    CUSTOMER = "customer"
    SHARED = "shared"


class Assessment(enum.StrEnum):
    AUTOMATED = "automated"  # a check reads it from Graph
    ATTESTATION = "attestation"  # a person confirms it, with evidence
    BACKUP_EVIDENCE = "backup-evidence"  # Remit's own backups and restore tests prove it


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MatrixRow(_Model):
    id: str
    title: str
    cells: dict[str, Literal["customer", "microsoft", "shared"]]


class MatrixLayout(_Model):
    """One published layout of Microsoft's shared-responsibility diagram."""

    id: str
    title: str
    as_of: date  # when this layout was captured from its source
    source: str
    note: str = ""  # provenance: which version of Microsoft's diagram this is
    columns: list[str]
    rows: list[MatrixRow]

    @model_validator(mode="after")
    def _every_cell(self) -> MatrixLayout:
        for row in self.rows:
            if set(row.cells) != set(self.columns):
                raise ValueError(f"row {row.id!r} must have a cell for each of {self.columns}")
        return self


class References(_Model):
    scuba: list[str] = []
    cis: list[str] = []
    microsoft: list[str] = []


class Control(_Model):
    id: str
    title: str
    # The row this control serves in each matrix layout: {classic: accounts-and-identities,
    # current: identities-and-users}.
    matrix_rows: dict[str, str]
    workload: str
    default_owner: Owner
    assessment: Assessment
    why_not_automated: str = ""  # required unless automated: why Graph cannot tell
    references: References = References()

    @model_validator(mode="after")
    def _explained(self) -> Control:
        if self.assessment is not Assessment.AUTOMATED and not self.why_not_automated:
            raise ValueError("a control that is not automated must say why (why_not_automated)")
        return self


class CheckMeta(_Model):
    id: str
    control: str
    title: str
    severity: Severity
    rationale: str
    remediation: str
    references: list[str] = []
    requires: list[str] = Field(default_factory=list)  # snapshot keys the check reads


class Catalog(_Model):
    matrix: list[MatrixLayout]
    controls: list[Control]
    checks: list[CheckMeta]

    def control(self, control_id: str) -> Control:
        return next(c for c in self.controls if c.id == control_id)

    def fingerprint(self) -> str:
        """SHA-256 of the catalogue's content: which catalogue version a run was judged by."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


CHECK_FOLDER = "checks"  # one YAML file per area: scuba-aad.yaml, identity-hygiene.yaml, ...


def _read(folder: Traversable, name: str) -> LocatedDocument:
    try:
        return load_located((folder / name).read_text(encoding="utf-8"))
    except YamlError as exc:
        raise InvalidInput(f"{name}: line {exc.line}: {exc}") from None
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot read the catalogue file ({exc})") from None


def _validate(name: str, doc: LocatedDocument, model: type[BaseModel], field: str) -> Any:
    try:
        return getattr(model.model_validate(doc.data), field)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = tuple(error["loc"])
        line = doc.line_of(location)
        where = ".".join(str(p) for p in location)
        raise InvalidInput(
            f"{name}: line {line}: {where}: {error['msg']}" if line else f"{name}: {error['msg']}"
        ) from None


class _MatrixFile(_Model):
    layouts: list[MatrixLayout]


class _ControlsFile(_Model):
    controls: list[Control]


class _ChecksFile(_Model):
    checks: list[CheckMeta]


def load_catalog(folder: Traversable | None = None) -> Catalog:
    """Load and cross-check the catalogue in ``folder`` (default: the one shipped with Remit)."""
    where = folder or resources.files("remit.posture") / "catalog"
    docs = {name: _read(where, name) for name in ("matrix.yaml", "controls.yaml")}
    matrix = _validate("matrix.yaml", docs["matrix.yaml"], _MatrixFile, "layouts")
    controls = _validate("controls.yaml", docs["controls.yaml"], _ControlsFile, "controls")
    checks: list[tuple[str, int, CheckMeta]] = []
    check_files = sorted(
        (f for f in (where / CHECK_FOLDER).iterdir() if f.name.endswith(".yaml")),
        key=lambda f: f.name,
    )
    for file in check_files:
        name = f"{CHECK_FOLDER}/{file.name}"
        doc = _read(where, name)
        for i, meta in enumerate(_validate(name, doc, _ChecksFile, "checks")):
            checks.append((name, doc.line_of(("checks", i)) or 0, meta))
    _cross_check(docs, matrix, controls, checks)
    return Catalog(matrix=matrix, controls=controls, checks=[meta for _, _, meta in checks])


def _cross_check(
    docs: dict[str, LocatedDocument],
    matrix: list[MatrixLayout],
    controls: list[Control],
    checks: list[tuple[str, int, CheckMeta]],
) -> None:
    rows = {layout.id: {row.id for row in layout.rows} for layout in matrix}
    control_ids: set[str] = set()
    for i, control in enumerate(controls):
        line = docs["controls.yaml"].line_of(("controls", i))
        if control.id in control_ids:
            raise InvalidInput(f"controls.yaml: line {line}: duplicate control id {control.id!r}")
        control_ids.add(control.id)
        if set(control.matrix_rows) != set(rows):
            raise InvalidInput(
                f"controls.yaml: line {line}: control {control.id!r} must name its row in each "
                f"matrix layout ({', '.join(sorted(rows))})"
            )
        for layout, row in control.matrix_rows.items():
            if row not in rows[layout]:
                raise InvalidInput(
                    f"controls.yaml: line {line}: control {control.id!r} names row {row!r}, "
                    f"which the {layout!r} layout in matrix.yaml does not have"
                )
    check_ids: set[str] = set()
    for name, line, check in checks:
        if check.id in check_ids:
            raise InvalidInput(f"{name}: line {line}: duplicate check id {check.id!r}")
        check_ids.add(check.id)
        if check.control not in control_ids:
            raise InvalidInput(
                f"{name}: line {line}: check {check.id!r} names control {check.control!r}, "
                "which controls.yaml does not define"
            )


@cache
def default_catalog() -> Catalog:
    """The catalogue shipped with Remit, loaded once per process."""
    return load_catalog()
