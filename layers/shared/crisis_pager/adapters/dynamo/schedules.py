"""The admin CLI's writes to the programs table: export a program's rotas and overrides,
replace them in one transaction, add an override."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import AttributeDeserializationError
from pynamodb.models import Model

from . import tables
from .admin_items import OverrideItem, ProgramItem, RotaItem
from .directory import number, partition, type_error

TRANSACTION_LIMIT = 100  # DynamoDB TransactWriteItems


def _item_for(program_id: str, key: str, fields: dict[str, Any]) -> Model:
    model: type[RotaItem] | type[OverrideItem]
    if key.startswith("rota#"):
        model = RotaItem
    elif key.startswith("override#"):
        model = OverrideItem
    else:
        raise ValueError(f"not a rota or override key: {key}")
    item = model(program_id, key)
    for name in model.FIELDS:
        setattr(item, name, fields.get(name))
    return item


def raw_schedule_items(program_id: str) -> list[dict[str, Any]]:
    """The program's rota and override items as plain dicts (for export)."""
    out: list[dict[str, Any]] = []
    for raw in partition(ProgramItem, program_id):
        key = str(raw.get("key", {}).get("S", ""))
        if key.startswith(("rota#", "override#")):
            model = RotaItem if key.startswith("rota#") else OverrideItem
            try:
                item = model.from_raw_data(raw)
            except AttributeDeserializationError as exc:
                raise type_error("programs", f"{program_id} / {key}", exc) from None
            fields = {f: number(getattr(item, f)) for f in model.FIELDS}  # type: ignore[attr-defined]
            out.append({"key": key, **{k: v for k, v in fields.items() if v is not None}})
    return out


def replace_schedule(program_id: str, items: list[dict[str, Any]]) -> int:
    """Make the program's rotas and overrides exactly ``items`` (each with its "key"), in one
    transaction: all of it is written, or none of it. Validate before calling."""
    from pynamodb.transactions import TransactWrite

    wanted = {item["key"] for item in items}
    stale = [raw["key"]["S"] for raw in partition(ProgramItem, program_id)
             if raw["key"]["S"].startswith(("rota#", "override#"))
             and raw["key"]["S"] not in wanted]
    if len(items) + len(stale) > TRANSACTION_LIMIT:
        raise ValueError(f"{len(items) + len(stale)} changes; one import writes at most "
                         f"{TRANSACTION_LIMIT} items")
    with TransactWrite(connection=tables.connection()) as transaction:
        for item in items:
            fields = {k: v for k, v in item.items() if k != "key"}
            transaction.save(_item_for(program_id, item["key"], fields))
        for key in stale:
            model = RotaItem if key.startswith("rota#") else OverrideItem
            transaction.delete(model(program_id, key))
    return len(items) + len(stale)


def put_override(program_id: str, key: str, fields: dict[str, Any]) -> None:
    """Add one override item; never overwrites an existing one."""
    _item_for(program_id, key, fields).save(condition=OverrideItem.key.does_not_exist())
