"""Layered control maps: the MSP default baseline, a tier, the tenant's overrides.

The effective map of a tenant is its layers merged bottom to top (:func:`resolve`):

- ``controls`` merge by control id and, within a control, field by field: a RACI letter, the
  status or the evidence set in a higher layer wins over the layers below;
- ``objectives`` merge by workload (a higher layer's objective replaces the whole objective);
- the lists (privileged access, emergency accounts, exceptions) are concatenated; an entry with
  the same key in a higher layer (the same principal and role, account, or control) replaces
  the lower one.

:func:`explain` keeps the provenance (which layer set each value) and :func:`impact` tells what
changing one layer would do to a tenant's effective map, including the changes a higher layer
masks (its override wins, so the change does not reach the tenant).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from remit.governance.model import ControlEntry, ControlMapDoc
from remit.governance.paths import FieldPath, Json, flatten, full_entry, unflatten
from remit.governance.revisions import Change, diff_values


class LayerKind(enum.StrEnum):
    DEFAULT = "default"  # the MSP's default baseline (always exists, named "default")
    TIER = "tier"  # a baseline on top of the default: "standard", "regulated"
    TENANT = "tenant"  # one tenant's own overrides


DEFAULT_BASELINE = "default"
UNSET = "not set"  # the source of a value no layer sets (the model's default)


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer of a tenant's stack, at one revision (None: not stored yet)."""

    kind: LayerKind
    name: str  # the baseline's name, or the tenant's
    doc: ControlMapDoc
    revision: int | None = None

    @property
    def label(self) -> str:
        """How provenance names the layer: ``baseline default``, ``tier regulated``, ``tenant
        contoso``."""
        return (
            f"baseline {self.name}"
            if self.kind is LayerKind.DEFAULT
            else f"{self.kind} {self.name}"
        )


@dataclass(frozen=True, slots=True)
class Resolved:
    """An effective map and, for every value in it, the label of the layer that set it."""

    doc: ControlMapDoc
    sources: dict[FieldPath, str] = field(default_factory=dict)

    def source_of(self, path: FieldPath) -> str:
        return self.sources.get(path, "")


def explain(layers: Sequence[Layer], *, fill: Sequence[str] = ()) -> Resolved:
    """Merge ``layers`` (bottom first). Controls in ``fill`` (the catalogue's) that no layer
    mentions are added with default values: every catalogue control has an entry."""
    values: dict[FieldPath, Json] = {}
    sources: dict[FieldPath, str] = {}
    for layer in layers:
        for path, value in flatten(layer.doc, only_set=True).items():
            values[path] = value
            sources[path] = layer.label
    merged = unflatten(values)
    controls = {cid: full_entry(entry) for cid, entry in merged.controls.items()}
    for control_id in fill:
        controls.setdefault(control_id, full_entry(ControlEntry()))
    doc = merged.model_copy(update={"controls": dict(sorted(controls.items()))})
    # What no layer sets keeps the model's default value.
    for path in flatten(doc, only_set=False):
        sources.setdefault(path, UNSET)
    return Resolved(doc, sources)


def resolve(layers: Sequence[Layer]) -> ControlMapDoc:
    """The effective map of ``layers`` (bottom first), every control entry complete."""
    return explain(layers).doc


# --- what a change to one layer does ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conflict:
    """A change to a layer that a higher layer masks: its own value wins for this tenant."""

    path: FieldPath
    masked_by: str  # label of the higher layer
    override: Json  # the value the higher layer sets
    proposed: Json  # the value the change would set (None: the change removes it)


@dataclass(frozen=True, slots=True)
class Impact:
    """How a tenant's effective map would change, and which parts of the change it masks."""

    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]

    @property
    def affected(self) -> bool:
        return bool(self.changes)


def impact(stack: Sequence[Layer], index: int, new_doc: ControlMapDoc) -> Impact:
    """What replacing ``stack[index]``'s document by ``new_doc`` does to the effective map."""
    changed = stack[index]
    after = [*stack[:index], Layer(changed.kind, changed.name, new_doc), *stack[index + 1 :]]
    changes = diff_values(
        flatten(resolve(stack), only_set=False), flatten(resolve(after), only_set=False)
    )
    layer_changes = diff_values(flatten(changed.doc), flatten(new_doc))
    conflicts: list[Conflict] = []
    for change in layer_changes:
        for higher in reversed(stack[index + 1 :]):
            overrides = flatten(higher.doc)
            if change.path in overrides:
                if overrides[change.path] == change.after:
                    break  # the higher layer already says the same: nothing is masked
                conflicts.append(
                    Conflict(change.path, higher.label, overrides[change.path], change.after)
                )
                break
    return Impact(tuple(changes), tuple(conflicts))
