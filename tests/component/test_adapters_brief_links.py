"""The BriefLinks adapter against moto, with the incidents table of template.yaml: a link is
a ``link#<sha256>`` item (never the token), put once, and removed by the table's TTL a while
after it expires."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crisis_pager.adapters.dynamo.brief_links import BriefLinkItem, DynamoBriefLinks
from crisis_pager.config import settings
from crisis_pager.domain.brief import LINK_RECORD_KEEP, BriefLink, Purpose, token_hash
from crisis_pager.service.briefs import issue_link
from local import template as sam
from tests.component.moto_tables import ROOT, TABLE_NAMES, get_raw, mocked_tables

T0 = datetime(2026, 11, 23, 18, 0, 0, 250000, tzinfo=UTC)
IID = "inc_" + "a" * 24


@pytest.fixture
def ddb() -> Iterator[Any]:
    with mocked_tables() as resource:
        yield resource


def link(token: str = "T" * 24, **changes: Any) -> BriefLink:
    fields: dict[str, Any] = dict(
        token_hash=token_hash(token), incident_id=IID, clinician_id="clin-ana",
        purpose=Purpose.ACCEPTED, issued_at=T0, expires_at=T0 + timedelta(hours=2))
    fields.update(changes)
    return BriefLink(**fields)


def test_a_link_is_stored_by_its_hash_and_read_back(ddb: Any) -> None:
    links = DynamoBriefLinks()
    assert links.put(link())
    raw = get_raw(ddb, "IncidentsTable", {"pk": f"link#{token_hash('T' * 24)}", "sk": "link"})
    assert raw is not None
    assert {k: v for k, v in raw.items() if k not in ("pk", "sk")} == {
        "incident_id": IID, "clinician_id": "clin-ana", "purpose": "accepted",
        "issued_at": "2026-11-23T18:00:00.250000+0000",
        "link_expires_at": "2026-11-23T20:00:00.250000+0000",
        "expires_at": int((T0 + timedelta(hours=2) + LINK_RECORD_KEEP).timestamp()),
    }
    assert links.get(token_hash("T" * 24)) == link()
    assert links.get(token_hash("U" * 24)) is None


def test_a_link_is_put_once_and_never_overwritten(ddb: Any) -> None:
    links = DynamoBriefLinks()
    assert links.put(link())
    assert not links.put(link(clinician_id="clin-ben", purpose=Purpose.FOLLOW_UP))
    assert links.get(token_hash("T" * 24)) == link()


def test_the_table_holds_the_hash_never_the_token(ddb: Any) -> None:
    url = issue_link(DynamoBriefLinks(), "https://api.example/prod", IID, "clin-ana",
                     "accepted", T0)
    token = url.rsplit("/", 1)[1]
    items = ddb.Table(TABLE_NAMES["IncidentsTable"]).scan()["Items"]
    dump = json.dumps(items, default=str)
    assert token not in dump and token_hash(token) in dump
    (item,) = items
    assert item["pk"] == f"link#{token_hash(token)}"
    found = DynamoBriefLinks().get(token_hash(token))
    assert found is not None and found.expires_at == T0 + timedelta(hours=2)


def test_the_model_matches_the_incidents_table_and_its_ttl() -> None:
    table = sam.load(ROOT / "template.yaml").tables["IncidentsTable"]
    assert BriefLinkItem.Meta.table_name == settings().incidents_table
    keys = {(k["AttributeName"], k["KeyType"]) for k in BriefLinkItem._get_schema()["key_schema"]}
    assert keys == {(k["AttributeName"], k["KeyType"]) for k in table.key_schema}
    ttl = [name for name, attr in BriefLinkItem.get_attributes().items()
           if type(attr).__name__ == "TTLAttribute"]
    assert ttl == [table.ttl_attribute] == ["expires_at"]
