"""adapters/dynamo/tables.py: the models are bound to their tables from settings, once,
by bootstrap; nothing reads settings at import; every model shares one botocore client."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from crisis_pager.adapters.dynamo import tables
from crisis_pager.adapters.dynamo.admin_items import ClinicianItem, ProgramItem
from crisis_pager.adapters.dynamo.items import INCIDENT_SK, IncidentItem, PageItem
from crisis_pager.adapters.dynamo.participants import ParticipantVersionItem
from crisis_pager.adapters.dynamo.timeline import TimelineEntry
from crisis_pager.config import settings
from tests.component.moto_tables import ROOT, mocked_tables


@pytest.fixture
def ddb() -> Iterator[Any]:
    with mocked_tables() as resource:
        yield resource


def test_a_model_used_before_the_tables_are_bound_says_so(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "_bound", None)
    with pytest.raises(tables.TablesNotBound, match=r"IncidentItem: .*bind\(settings\)"):
        IncidentItem.get("inc_a", INCIDENT_SK)


def test_binding_names_each_models_table_from_its_settings_field() -> None:
    bound = settings()
    other = replace(bound, incidents_table="other-incidents", participants_table="other-ppl",
                    region="eu-west-1")
    try:
        tables.bind(other)
        assert tables.bound() is other
        assert (IncidentItem.Meta.table_name, PageItem.Meta.table_name) == (
            "other-incidents", "other-incidents")
        assert ParticipantVersionItem.Meta.table_name == "other-ppl"
        assert TimelineEntry.Meta.table_name == bound.timeline_table  # unchanged fields too
        assert IncidentItem.Meta.region == "eu-west-1"
        assert IncidentItem._get_connection().table_name == "other-incidents"
    finally:
        tables.bind(bound)
    assert IncidentItem._get_connection().table_name == bound.incidents_table


def test_every_model_shares_one_botocore_client(ddb: Any) -> None:
    for model in (IncidentItem, PageItem, TimelineEntry, ProgramItem, ClinicianItem):
        model._connection = None  # as on a cold start
    clients = {id(model._get_connection().connection.client)
               for model in (IncidentItem, PageItem, TimelineEntry, ProgramItem,
                             ClinicianItem, ParticipantVersionItem)}
    assert clients == {id(tables.connection().client)}
    assert not IncidentItem.count("inc_a")  # and it works: moto answers through it


def test_importing_the_adapters_reads_no_settings() -> None:
    """Every adapter module imports with crisis_pager.config.settings raising."""
    probe = (
        "import pkgutil, importlib, crisis_pager.config as c\n"
        "def boom(): raise AssertionError('settings read at import')\n"
        "c.settings = boom\n"
        "import crisis_pager.adapters as a\n"
        "for m in pkgutil.walk_packages(a.__path__, 'crisis_pager.adapters.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_model_defined_after_binding_is_bound_too() -> None:
    """bootstrap binds on its first DynamoDB accessor; a module imported later (the brief
    links, the participants) must not be left on an empty table name."""
    from pynamodb.attributes import UnicodeAttribute

    tables.bind(settings())

    class LateItem(tables.TableModel):
        setting = "incidents_table"

        class Meta:
            table_name = ""

        pk = UnicodeAttribute(hash_key=True)

    try:
        assert LateItem.Meta.table_name == settings().incidents_table
    finally:
        tables._models.remove(LateItem)
