"""Each contract test runs twice: on the in-memory fake (tests/fakes/) and on the DynamoDB
adapter against moto with the tables of template.yaml. A fake that drifts from the adapter
fails here, not in a ladder test that trusted it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from tests.component.moto_tables import REGION, ROOT, mocked_tables


@dataclass
class Ports:
    kind: str  # "fake" or "dynamo"
    incidents: Any  # the incident table's four ports (one fake serves all four)
    pages: Any
    codes: Any
    follow_ups: Any
    opt_outs: Any
    timeline: Any
    links: Any
    participants: Any


def _fakes() -> Ports:
    from tests.fakes.incidents import FakeIncidents
    from tests.fakes.messaging import FakeOptOuts
    from tests.fakes.participants import FakeBriefLinks, FakeParticipants
    from tests.fakes.timeline import FakeTimeline

    table = FakeIncidents()
    return Ports("fake", table, table, table, table, FakeOptOuts(), FakeTimeline(),
                 FakeBriefLinks(), FakeParticipants())


def _dynamo() -> Ports:
    from crisis_pager.adapters.dynamo.brief_links import DynamoBriefLinks
    from crisis_pager.adapters.dynamo.codes import DynamoReplyCodes
    from crisis_pager.adapters.dynamo.follow_ups import DynamoFollowUps
    from crisis_pager.adapters.dynamo.incidents import DynamoIncidents
    from crisis_pager.adapters.dynamo.opt_outs import DynamoOptOuts
    from crisis_pager.adapters.dynamo.pages import DynamoPages
    from crisis_pager.adapters.dynamo.participants import DynamoParticipants
    from crisis_pager.adapters.dynamo.timeline import DynamoTimeline

    return Ports("dynamo", DynamoIncidents(), DynamoPages(), DynamoReplyCodes(),
                 DynamoFollowUps(), DynamoOptOuts(), DynamoTimeline(), DynamoBriefLinks(),
                 DynamoParticipants())


@pytest.fixture(params=["fake", "dynamo"])
def ports(request: pytest.FixtureRequest) -> Iterator[Ports]:
    if request.param == "fake":
        yield _fakes()
        return
    from crisis_pager.config import settings
    from local import template as sam

    spec = sam.load(ROOT / "template.yaml").tables["ParticipantsTable"]
    with mocked_tables():
        boto3.client("dynamodb", region_name=REGION).create_table(
            **spec.create_table_kwargs(settings().participants_table))
        yield _dynamo()
