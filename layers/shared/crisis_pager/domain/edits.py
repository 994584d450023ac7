"""Admin edits, as the rota guard sees them: one changed item of the programs or clinicians
table (from a DynamoDB stream record; the adapter knows the attribute names)."""

from __future__ import annotations

from dataclasses import dataclass

PROGRAMS = "programs"
CLINICIANS = "clinicians"


@dataclass(frozen=True)
class Edit:
    table: str  # PROGRAMS or CLINICIANS
    item: str  # the item's key: "program", "rota#backup", "override#..."; or a clinician id
    program_id: str | None = None  # the program a programs item belongs to

    @property
    def label(self) -> str:
        """How an admin names the item: "rota#backup", "clinician clin-ana"."""
        return self.item if self.table == PROGRAMS else f"clinician {self.item}"
