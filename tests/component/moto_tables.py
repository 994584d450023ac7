"""The four DynamoDB tables in moto, with the key schemas of template.yaml.

The PynamoDB models are bound to their tables from settings (adapters/dynamo/tables.py);
the test environment leaves the names unset, so the settings give the defaults in
``TABLE_NAMES``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import boto3
from moto import mock_aws

from local import moto as local_moto
from local import template as sam

ROOT = Path(__file__).resolve().parents[2]
A = TypeVar("A")
R = TypeVar("R")
REGION = "us-east-1"
TABLE_NAMES = {
    "IncidentsTable": "crisis-pager-incidents",
    "TimelineTable": "crisis-pager-timeline",
    "ProgramsTable": "crisis-pager-programs",
    "CliniciansTable": "crisis-pager-clinicians",
}


def _check_model_names() -> None:
    """Bind the models from settings; fail loudly if that names other tables than these."""
    from crisis_pager.adapters.dynamo import tables
    from crisis_pager.adapters.dynamo.admin_items import ClinicianItem, ProgramItem
    from crisis_pager.adapters.dynamo.items import IncidentItem
    from crisis_pager.adapters.dynamo.timeline import TimelineEntry
    from crisis_pager.config import settings

    tables.bind(settings())
    used = {
        "IncidentsTable": IncidentItem.Meta.table_name,
        "TimelineTable": TimelineEntry.Meta.table_name,
        "ProgramsTable": ProgramItem.Meta.table_name,
        "CliniciansTable": ClinicianItem.Meta.table_name,
    }
    assert used == TABLE_NAMES, f"PynamoDB models use {used}, the fixtures create {TABLE_NAMES}"


@contextlib.contextmanager
def mocked_tables(config: dict[str, Any] | None = None) -> Iterator[Any]:
    """Inside ``mock_aws``: create the tables from template.yaml; yield a boto3 resource."""
    _check_model_names()
    template = sam.load(ROOT / "template.yaml")
    with mock_aws(config=config):  # type: ignore[arg-type]
        client = boto3.client("dynamodb", region_name=REGION)
        for logical_id, name in TABLE_NAMES.items():
            client.create_table(**template.tables[logical_id].create_table_kwargs(name))
        yield boto3.resource("dynamodb", region_name=REGION)


def put_raw(resource: Any, logical_id: str, item: dict[str, Any]) -> None:
    """Write an item as an admin would at the console: raw attributes, no model."""
    resource.Table(TABLE_NAMES[logical_id]).put_item(Item=item)


def get_raw(resource: Any, logical_id: str, key: dict[str, Any]) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        resource.Table(TABLE_NAMES[logical_id]).get_item(Key=key, ConsistentRead=True).get("Item")
    )
    return item


def atomic_writes() -> contextlib.AbstractContextManager[None]:
    """DynamoDB's atomic conditional writes on moto (see local/moto/atomic_writes.py)."""
    return local_moto.atomic_dynamodb_writes()


def race(fn: Callable[[A], R], args: Sequence[A], timeout: float = 60) -> dict[A, R]:
    """``fn(arg)`` for every arg at once: one thread each, released together by a barrier,
    with DynamoDB's atomic conditional writes. Each result by its argument; a thread's
    error is raised here."""
    barrier = threading.Barrier(len(args))
    results: dict[A, R] = {}
    errors: list[BaseException] = []

    def run(arg: A) -> None:
        try:
            barrier.wait()
            results[arg] = fn(arg)
        except BaseException as exc:  # raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(arg,)) for arg in args]
    with atomic_writes():
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=timeout)
    if errors:
        raise errors[0]
    return results
