"""The Directory and ProgramIndex ports: programs, rotas and clinicians as admins keep them."""

from __future__ import annotations

from typing import Protocol

from ...domain.errors import InvalidItem
from ...domain.program import Clinician, Program
from ...domain.schedule import Schedule


class Directory(Protocol):
    """Programs, rotas and clinicians as admins keep them. Reads validate items and
    raise InvalidItem naming the item, the field and the reason."""

    def program(self, program_id: str) -> Program | None:
        """The program (None: no item). A malformed field never makes it unreadable: it
        reads as its default and is named in ``Program.problems``."""
        ...

    def schedule(self, program_id: str) -> Schedule:
        """All rotas and overrides of the program; malformed ones listed as invalid."""
        ...

    def clinician(self, clinician_id: str) -> Clinician | None: ...

    def program_and_clinician(self, program_id: str, clinician_id: str
                              ) -> tuple[Program | None, Clinician | None]:
        """The two items a rung's page needs, read together (one request), each as
        program() and clinician() read it; raises InvalidItem as they do."""
        ...

    def clinicians(self, clinician_ids: list[str]) -> dict[str, Clinician | InvalidItem | None]:
        ...

    def clinicians_with_phone(self, phone: str) -> list[Clinician]:
        """Valid clinician items with this phone number (malformed ones are skipped)."""
        ...


class ProgramIndex(Protocol):
    """Which programs exist, and which an edit of a clinician affects (the rota guard)."""

    def program_ids(self) -> list[str]:
        """Every configured program (those with a program item)."""
        ...

    def programs_naming(self, clinician_id: str) -> list[str]:
        """Programs whose rotas or overrides name this clinician."""
        ...


class DirectoryIndex(Directory, ProgramIndex, Protocol):
    """Both, as the one adapter over the programs and clinicians tables serves them."""
