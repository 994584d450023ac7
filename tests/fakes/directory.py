"""The Directory and ProgramIndex ports in memory: programs, rotas, clinicians."""

from __future__ import annotations

from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.program import (
    Clinician,
    Program,
    clinician_from_fields,
    program_from_fields,
)
from crisis_pager.domain.rota import rota_from_fields
from crisis_pager.domain.schedule import Schedule

PROGRAM_FIELDS = {
    "display_name": "West IOP",
    "hotline_number": "+15035550100",
    "crisis_line": "+15035550111",
    "mobile_crisis_team": "+15035550122",
    "emergency_department": "Providence ED",
    "emergency_department_phone": "+15035550133",
}


class _Clinicians(dict[str, Clinician | InvalidItem]):
    """The clinician items by id, and also the Directory's ``clinicians(ids)`` method (the
    attribute of the same name would otherwise hide it)."""

    def __call__(self, clinician_ids: list[str]) -> dict[str, Clinician | InvalidItem | None]:
        return {cid: self.get(cid) for cid in clinician_ids}


class FakeDirectory:
    """Programs, rotas and clinicians in memory; also the ProgramIndex port."""

    def __init__(self) -> None:
        self.programs: dict[str, dict[str, object]] = {"west-iop": dict(PROGRAM_FIELDS)}
        self.rotas: dict[tuple[str, str], dict[str, object]] = {}
        self.clinicians = _Clinicians()
        self.naming_lookups: list[str] = []
        self.broken: set[str] = set()  # programs whose reads raise (a DynamoDB outage)
        for cid, name, phone in [("clin-ana", "Ana", "+15035550101"),
                                 ("clin-ben", "Ben", "+15035550102"),
                                 ("clin-caro", "Caro", "+15035550103")]:
            self.clinicians[cid] = Clinician(cid, name, phone)
        for rota, member in [("primary", "clin-ana"), ("backup", "clin-ben"),
                             ("supervisor", "clin-caro")]:
            self.set_rota(rota, [member])

    def set_rota(self, name: str, members: list[str], program_id: str = "west-iop",
                 **overrides: object) -> None:
        fields: dict[str, object] = {"timezone": "America/Los_Angeles", "handoff": "08:00",
                                     "shift_days": 7, "starts_on": "2026-11-02",
                                     "members": members}
        fields.update(overrides)
        self.rotas[(program_id, name)] = fields

    def set_clinician(self, clinician_id: str, **fields: object) -> None:
        """Store a clinician item as an admin wrote it; a malformed one reads as invalid."""
        try:
            self.clinicians[clinician_id] = clinician_from_fields(clinician_id, fields)
        except InvalidItem as exc:
            self.clinicians[clinician_id] = exc

    def program_ids(self) -> list[str]:
        return sorted(self.programs)

    def programs_naming(self, clinician_id: str) -> list[str]:
        self.naming_lookups.append(clinician_id)
        return sorted({pid for (pid, _), f in self.rotas.items()
                       if clinician_id in f.get("members", [])})  # type: ignore[operator]

    def program(self, program_id: str) -> Program | None:
        if program_id in self.broken:
            raise RuntimeError("DynamoDB is unavailable")
        fields = self.programs.get(program_id)
        return program_from_fields(program_id, fields) if fields is not None else None

    def schedule(self, program_id: str) -> Schedule:
        rotas, invalid = [], []
        for (pid, name), fields in sorted(self.rotas.items()):
            if pid != program_id:
                continue
            try:
                rotas.append(rota_from_fields(program_id, name, **fields))  # type: ignore[arg-type]
            except InvalidItem as exc:
                invalid.append(exc)
        return Schedule(program_id, tuple(rotas), (), tuple(invalid))

    def clinician(self, clinician_id: str) -> Clinician | None:
        item = self.clinicians.get(clinician_id)
        if isinstance(item, InvalidItem):
            raise item
        return item

    def program_and_clinician(self, program_id: str, clinician_id: str
                              ) -> tuple[Program | None, Clinician | None]:
        return self.program(program_id), self.clinician(clinician_id)

    def clinicians_with_phone(self, phone: str) -> list[Clinician]:
        """Valid clinician items with this phone (malformed ones skipped), by id."""
        return sorted((c for c in self.clinicians.values()
                       if isinstance(c, Clinician) and c.phone == phone),
                      key=lambda c: c.clinician_id)
