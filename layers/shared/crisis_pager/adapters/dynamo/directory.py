"""The Directory port: programs, rotas and clinicians, validated on every read (and the
ProgramIndex port of the rota guard)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, TypeVar

from pynamodb.exceptions import AttributeDeserializationError
from pynamodb.models import Model
from tenacity import (
    RetryError,
    Retrying,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)

from ...domain.errors import InvalidItem
from ...domain.program import Clinician, Program, clinician_from_fields, program_from_fields
from ...domain.rota import Rota, rota_from_fields
from ...domain.schedule import Override, Schedule, override_from_fields
from .admin_items import ClinicianItem, OverrideItem, ProgramItem, RotaItem
from .tables import connection

BATCH_ATTEMPTS = 5

_M = TypeVar("_M", bound=Model)
_BAD_TYPE = re.compile(r"Cannot deserialize '(?P<field>[^']+)' attribute from type: (?P<t>\w+)")
_TYPE_NAMES = {"S": "text", "N": "a number", "L": "a list", "M": "a map", "BOOL": "true/false",
               "SS": "a string set", "NS": "a number set", "NULL": "null"}


def _read(model: type[_M], table: str, key_text: str, hash_key: str,
          range_key: str | None = None) -> _M | None:
    """Get an admin-edited item; a DynamoDB type an admin got wrong becomes InvalidItem."""
    try:
        return model.get(hash_key, range_key, consistent_read=True)
    except model.DoesNotExist:
        return None
    except AttributeDeserializationError as exc:
        raise type_error(table, key_text, exc) from None


def type_error(table: str, key_text: str, exc: AttributeDeserializationError) -> InvalidItem:
    m = _BAD_TYPE.search(str(exc))
    field = m["field"] if m else "?"
    expected = _TYPE_NAMES.get(m["t"], m["t"]) if m else "another type"
    return InvalidItem(table, key_text, field, f"must be {expected} (it has another DynamoDB type)")


def batch_get(keys: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any] | None]:
    """Raw items by (table, key), in one BatchGetItem (strongly consistent), in the order
    asked (None: no such item). Keys DynamoDB leaves unprocessed are asked again."""
    wanted: dict[str, Any] = {}
    for table, key in keys:
        wanted.setdefault(table, {"Keys": [], "ConsistentRead": True})["Keys"].append(key)
    found: list[tuple[str, dict[str, Any]]] = []

    def ask() -> dict[str, Any]:
        nonlocal wanted
        answer = connection().client.batch_get_item(RequestItems=wanted)
        found.extend((t, item) for t, items in answer.get("Responses", {}).items()
                     for item in items)
        wanted = answer.get("UnprocessedKeys") or {}
        return wanted  # throttled keys, asked again after a backoff

    try:
        Retrying(stop=stop_after_attempt(BATCH_ATTEMPTS), retry=retry_if_result(bool),
                 wait=wait_exponential_jitter(multiplier=0.05, max=1.0))(ask)
    except RetryError:
        raise RuntimeError("DynamoDB left keys of a batch read unprocessed") from None
    return [next((item for t, item in found if t == table
                  and all(item.get(name) == value for name, value in key.items())), None)
            for table, key in keys]


def partition(model: type[Model], hash_key: str) -> Iterator[dict[str, Any]]:
    """Raw items of one partition, every page (so one bad item cannot hide the others)."""
    connection = model._get_connection()
    start: dict[str, Any] | None = None
    while True:
        page = connection.query(hash_key, consistent_read=True, exclusive_start_key=start)
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def _from_raw(model: type[_M], raw: dict[str, Any], key_text: str) -> _M:
    try:
        return model.from_raw_data(raw)
    except AttributeDeserializationError as exc:
        raise type_error("programs", key_text, exc) from None


def number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def program_from_raw(program_id: str, raw: dict[str, Any]) -> Program:
    """A program item as DynamoDB returns it. Each field is deserialized on its own: a field
    an admin gave the wrong DynamoDB type (a number typed as text at the console) reaches
    program_from_fields as its InvalidItem, and reads as its stand-in like any other
    malformed field."""
    attributes = ProgramItem.get_attributes()
    fields: dict[str, object] = {}
    for f in ProgramItem.FIELDS:
        value = raw.get(f)
        if not value or "NULL" in value:  # as PynamoDB reads an absent or null attribute
            continue
        attribute = attributes[f]
        try:
            fields[f] = number(attribute.deserialize(attribute.get_value(value)))
        except AttributeDeserializationError as exc:
            fields[f] = type_error("programs", f"{program_id} / program", exc)
    return program_from_fields(program_id, fields)


class DynamoDirectory:
    """The Directory port: programs, rotas and clinicians, validated on every read."""

    def program(self, program_id: str) -> Program | None:
        raw = ProgramItem._get_connection().get_item(
            program_id, "program", consistent_read=True).get("Item")
        return program_from_raw(program_id, raw) if raw is not None else None

    def schedule(self, program_id: str) -> Schedule:
        """Every rota and override of a program in one query. Each item is validated on
        its own: a malformed one is listed in ``invalid`` and the others still cover."""
        rotas: list[Rota] = []
        overrides: list[Override] = []
        invalid: list[InvalidItem] = []
        for raw in partition(ProgramItem, program_id):
            key = str(raw.get("key", {}).get("S", ""))
            try:
                if key.startswith("rota#"):
                    item = _from_raw(RotaItem, raw, f"{program_id} / {key}")
                    fields = {f: number(getattr(item, f)) for f in RotaItem.FIELDS}
                    rotas.append(rota_from_fields(program_id, key.removeprefix("rota#"),
                                                  **fields))
                elif key.startswith("override#"):
                    o = _from_raw(OverrideItem, raw, f"{program_id} / {key}")
                    overrides.append(override_from_fields(
                        program_id, key, {f: getattr(o, f) for f in OverrideItem.FIELDS}))
            except InvalidItem as exc:
                invalid.append(exc)
        return Schedule(program_id, tuple(rotas), tuple(overrides), tuple(invalid))

    def clinicians(self, clinician_ids: list[str]) -> dict[str, Clinician | InvalidItem | None]:
        """Validated clinician items by id (None: no such item)."""
        found: dict[str, Clinician | InvalidItem | None] = dict.fromkeys(clinician_ids)
        for cid in clinician_ids:
            try:
                found[cid] = self.clinician(cid)
            except InvalidItem as exc:
                found[cid] = exc
        return found

    def clinician(self, clinician_id: str) -> Clinician | None:
        item = _read(ClinicianItem, "clinicians", clinician_id, clinician_id)
        if item is None:
            return None
        return clinician_from_fields(
            clinician_id, {f: getattr(item, f) for f in ClinicianItem.FIELDS}
        )

    def program_and_clinician(self, program_id: str, clinician_id: str
                              ) -> tuple[Program | None, Clinician | None]:
        """One BatchGetItem over both tables, strongly consistent, as program() and
        clinician() read them one by one."""
        program_key = {ProgramItem.program_id.attr_name: {"S": program_id},
                       ProgramItem.key.attr_name: {"S": "program"}}
        clinician_key = {ClinicianItem.clinician_id.attr_name: {"S": clinician_id}}
        raw = batch_get([(ProgramItem.Meta.table_name, program_key),
                         (ClinicianItem.Meta.table_name, clinician_key)])
        program = program_from_raw(program_id, raw[0]) if raw[0] is not None else None
        if raw[1] is None:
            return program, None
        try:
            item = ClinicianItem.from_raw_data(raw[1])
        except AttributeDeserializationError as exc:
            raise type_error("clinicians", clinician_id, exc) from None
        return program, clinician_from_fields(
            clinician_id, {f: getattr(item, f) for f in ClinicianItem.FIELDS})

    def clinicians_with_phone(self, phone: str) -> list[Clinician]:
        """A scan: the clinicians table is small and this runs only on STOP and START."""
        found: list[Clinician] = []
        connection = ClinicianItem._get_connection()
        start: Any = None  # LastEvaluatedKey
        while True:  # raw pages: one item an admin typed wrong must not hide the others
            page = connection.scan(filter_condition=ClinicianItem.phone == phone,
                                   exclusive_start_key=start)
            for raw in page.get("Items", []):
                try:
                    item = ClinicianItem.from_raw_data(raw)
                    found.append(clinician_from_fields(
                        item.clinician_id, {f: getattr(item, f) for f in ClinicianItem.FIELDS}))
                except (AttributeDeserializationError, InvalidItem):
                    continue
            start = page.get("LastEvaluatedKey")
            if not start:
                return sorted(found, key=lambda c: c.clinician_id)

    # The ProgramIndex port (the rota guard).

    def program_ids(self) -> list[str]:
        return program_ids()

    def programs_naming(self, clinician_id: str) -> list[str]:
        return programs_naming(clinician_id)


# ---------------------------------------------------------------- admin reads and writes


def program_ids() -> list[str]:
    """Every configured program (its program item), for the daily coverage check."""
    return sorted({item.program_id for item in ProgramItem.scan(ProgramItem.key == "program")})


def programs_naming(clinician_id: str) -> list[str]:
    """Programs whose rotas or overrides name this clinician (a clinician edit affects them)."""
    found: set[str] = set()
    for item in RotaItem.scan(RotaItem.members.contains(clinician_id)):
        found.add(item.program_id)
    for override in OverrideItem.scan(OverrideItem.clinician == clinician_id):
        found.add(override.program_id)
    return sorted(found)
