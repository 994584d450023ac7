"""The soak's world: programs whose rotas share clinicians, written as an admin would."""

from __future__ import annotations

from typing import Any

from local import seed

# (primary, backup, supervisor) per program: every clinician serves two or more programs,
# so one phone holds several open pages (bare `A`, codes unique per phone).
ROTAS = [(0, 1, 4), (1, 2, 5), (2, 3, 4), (3, 0, 5)]
PROGRAMS = [f"soak-{chr(ord('a') + i)}" for i in range(len(ROTAS))]


def phone(clinician: int) -> str:
    return f"+1503556{clinician:04d}"


def program_item(program_id: str, n: int) -> dict[str, Any]:
    return {**seed.PROGRAM, "program_id": program_id, "display_name": f"Soak IOP {n}",
            "hotline_number": f"+150355700{n:02d}"}


def rota_items(program_id: str, members: tuple[int, ...], now: Any) -> list[dict[str, Any]]:
    starts_on = seed.current_shift_start(now)
    return [{"program_id": program_id, "key": f"rota#{name}", "timezone": seed.TIMEZONE,
             "handoff": seed.HANDOFF, "shift_days": 7, "starts_on": starts_on,
             "members": [f"clin-s{m}"]}
            for name, m in zip(("primary", "backup", "supervisor"), members, strict=True)]


def seed_world(stack: Any, rotas: list[tuple[int, ...]] | None = None) -> list[str]:
    """Seed the programs (``rotas``: primary, backup, supervisor per program) and their
    clinicians; returns the program ids."""
    rotas = rotas or ROTAS
    n_clinicians = max(max(r) for r in rotas) + 1
    programs = [f"soak-{i:02d}" if len(rotas) > len(ROTAS) else PROGRAMS[i]
                for i in range(len(rotas))]
    items: list[dict[str, Any]] = []
    for n, (program_id, members) in enumerate(zip(programs, rotas, strict=True)):
        items += [program_item(program_id, n), *rota_items(program_id, members,
                                                            stack.clock.now())]
    stack.put_items("ProgramsTable", items)
    stack.put_items("CliniciansTable", [
        {"clinician_id": f"clin-s{i}", "name": f"Clinician S{i}", "phone": phone(i)}
        for i in range(n_clinicians)])
    stack.streams.drain(flush=True)
    return programs
