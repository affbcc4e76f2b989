"""Layered resolution: field-level merging of controls, objectives by workload, lists
concatenated with higher layers replacing the same key, provenance, and what a change does."""

from __future__ import annotations

from remit.governance.defaults import shipped_default
from remit.governance.layers import (
    UNSET,
    Layer,
    LayerKind,
    explain,
    impact,
    resolve,
)
from remit.governance.model import ControlMapDoc, ImplementationStatus, Workload
from remit.governance.paths import FieldPath
from remit.governance.validate import KnownIds
from remit.posture.catalog import Owner, default_catalog

MFA = "identity.mfa-all-users"
LEGACY = "identity.legacy-auth-blocked"


def doc(data: dict[str, object]) -> ControlMapDoc:
    return ControlMapDoc.model_validate(data)


DEFAULT = Layer(
    LayerKind.DEFAULT,
    "default",
    doc(
        {
            "controls": {
                MFA: {
                    "raci": {
                        "responsible": ["MSP service desk"],
                        "accountable": "MSP service manager",
                        "consulted": ["Client IT"],
                        "informed": [],
                    },
                    "status": "planned",
                    "evidence": "Remit checks MS.AAD.3.2",
                },
                LEGACY: {"raci": {"accountable": "MSP service manager"}, "status": "planned"},
            },
            "objectives": {
                "exchange": {"rto": "PT8H", "rpo": "P1D", "owner": "Client owner"},
                "teams": {"rto": "P1D", "rpo": "P1D", "owner": "Client owner"},
            },
            "privileged_access": [
                {"principal": "msp-admins@partner.example", "role": "Global Administrator"}
            ],
        }
    ),
    1,
)
TIER = Layer(
    LayerKind.TIER,
    "regulated",
    doc({"controls": {MFA: {"status": "implemented"}}, "objectives": {}}),
    2,
)
TENANT = Layer(
    LayerKind.TENANT,
    "contoso",
    doc(
        {
            "controls": {MFA: {"raci": {"accountable": "Ana (client CIO)"}}},
            "objectives": {"exchange": {"rto": "PT2H", "rpo": "PT1H", "owner": "Ana"}},
            "privileged_access": [
                {
                    "principal": "MSP-Admins@partner.example",
                    "role": "global administrator",
                    "kind": "active",
                },
                {"principal": "ana@contoso.com", "role": "Exchange Administrator"},
            ],
            "emergency_accounts": ["bg1@contoso.com"],
        }
    ),
    5,
)


def test_a_higher_layer_wins_field_by_field() -> None:
    merged = resolve([DEFAULT, TIER, TENANT])
    mfa = merged.controls[MFA]
    assert mfa.raci.accountable == "Ana (client CIO)"  # tenant
    assert mfa.raci.responsible == ["MSP service desk"]  # default, untouched by the others
    assert mfa.raci.consulted == ["Client IT"]
    assert mfa.status is ImplementationStatus.IMPLEMENTED  # tier
    assert mfa.evidence == "Remit checks MS.AAD.3.2"  # default
    # A control only the default sets keeps the default's values.
    assert merged.controls[LEGACY].raci.accountable == "MSP service manager"


def test_objectives_merge_by_workload_and_lists_are_concatenated() -> None:
    merged = resolve([DEFAULT, TIER, TENANT])
    assert merged.objectives[Workload.EXCHANGE].rto == "PT2H"  # the tenant's whole objective
    assert merged.objectives[Workload.EXCHANGE].owner == "Ana"
    assert merged.objectives[Workload.TEAMS].rto == "P1D"  # from the default
    # Same principal and role (in other spellings) in a higher layer replaces the lower entry.
    access = {(a.principal, a.role): a.kind.value for a in merged.privileged_access}
    assert access == {
        ("msp-admins@partner.example", "Global Administrator"): "active",
        ("ana@contoso.com", "Exchange Administrator"): "eligible",
    }
    assert merged.emergency_accounts == ["bg1@contoso.com"]


def test_provenance_names_the_layer_that_set_each_value() -> None:
    resolved = explain([DEFAULT, TIER, TENANT])
    assert resolved.source_of(FieldPath("controls", MFA, "raci.accountable")) == "tenant contoso"
    assert resolved.source_of(FieldPath("controls", MFA, "status")) == "tier regulated"
    assert resolved.source_of(FieldPath("controls", MFA, "evidence")) == "baseline default"
    assert resolved.source_of(FieldPath("objectives", "teams")) == "baseline default"
    assert resolved.source_of(FieldPath("controls", LEGACY, "evidence")) == UNSET
    key = "msp-admins@partner.example, Global Administrator"
    assert resolved.source_of(FieldPath("privileged_access", key)) == "tenant contoso"


def test_fill_gives_every_catalogue_control_an_entry() -> None:
    resolved = explain([TENANT], fill=["backup.teams", MFA])
    assert resolved.doc.controls["backup.teams"].status is ImplementationStatus.PLANNED
    assert resolved.source_of(FieldPath("controls", "backup.teams", "status")) == UNSET
    assert resolved.doc.controls[MFA].raci.accountable == "Ana (client CIO)"


def test_an_empty_stack_resolves_to_an_empty_map() -> None:
    assert resolve([]) == ControlMapDoc()


def test_impact_lists_changes_and_the_overrides_that_mask_them() -> None:
    stack = [DEFAULT, TIER, TENANT]
    new_default = DEFAULT.doc.model_copy(
        update={
            "controls": {
                **DEFAULT.doc.controls,
                MFA: DEFAULT.doc.controls[MFA].model_copy(
                    update={"evidence": "CA policy export", "status": ImplementationStatus.PARTIAL}
                ),
            }
        }
    )
    found = impact(stack, 0, new_default)
    assert [str(c.path) for c in found.changes] == [f"controls[{MFA}].evidence"]
    assert found.changes[0].before == "Remit checks MS.AAD.3.2"
    assert found.changes[0].after == "CA policy export"
    # The status change does not reach the tenant: the tier sets its own.
    [conflict] = found.conflicts
    assert conflict.path == FieldPath("controls", MFA, "status")
    assert conflict.masked_by == "tier regulated"
    assert (conflict.override, conflict.proposed) == ("implemented", "partial")
    assert found.affected


def test_a_change_every_tenant_overrides_affects_nobody() -> None:
    new_tier = doc({"controls": {MFA: {"raci": {"accountable": "Regulated CISO"}}}})
    found = impact([DEFAULT, TIER, TENANT], 1, new_tier)
    # The tier's status goes away (back to the default's planned), its accountable is masked.
    assert [(str(c.path), c.after) for c in found.changes] == [
        (f"controls[{MFA}].status", "planned")
    ]
    assert [c.masked_by for c in found.conflicts] == ["tenant contoso"]


def test_the_shipped_default_covers_the_catalogue_with_raci_from_the_default_owner() -> None:
    shipped = shipped_default()
    catalog = default_catalog()
    assert set(shipped.controls) == KnownIds.of().controls
    assert set(shipped.objectives) == set(Workload)
    for control in catalog.controls:
        raci = shipped.controls[control.id].raci
        assert raci.accountable, control.id
        if control.default_owner is Owner.MSP:
            assert raci.responsible == ["MSP service desk"], control.id
        elif control.default_owner is Owner.CUSTOMER:
            assert raci.responsible == ["Client IT contact"], control.id
        else:
            assert set(raci.responsible) == {"MSP service desk", "Client IT contact"}, control.id
    assert not shipped.privileged_access
    assert not shipped.exceptions
