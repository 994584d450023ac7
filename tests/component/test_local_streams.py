"""local/moto/stream_poller.py against moto: DynamoDB stream records reach a function as
Lambda's event source mapping delivers them (shape, starting position, batching, retries,
bisecting)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local import moto as local_moto
from local.moto import stream_poller
from local.moto.stream_poller import StreamPoller
from local.template import StreamEventSpec

REGION, ACCOUNT = "us-east-1", "123456789012"


class Function:
    """A stand-in handler: records each event; fails while ``fail(event)`` says so."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.failures = 0
        self.fail = lambda event: False
        self._lock = threading.Lock()

    def __call__(self, folder: str, event: dict[str, Any]) -> Any:
        assert folder == "guard"
        json.dumps(event)  # a Lambda event is plain JSON
        with self._lock:
            if self.fail(event):
                self.failures += 1
                raise RuntimeError("handler failed")
            self.events.append(event)
        return {"ok": True}

    def keys(self) -> list[str]:
        return [r["dynamodb"]["Keys"]["k"]["S"] for e in self.events for r in e["Records"]]


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        yield boto3.resource("dynamodb", region_name=REGION).Table("t")


def poller(table: Any, function: Function, **spec: Any) -> StreamPoller:
    p = StreamPoller(function, region=REGION, account=ACCOUNT)
    p.add("guard", StreamEventSpec("Edited", "T", **spec), table.latest_stream_arn)
    p.start()
    return p


def test_records_arrive_shaped_as_lambda_delivers_them(table: Any) -> None:
    table.put_item(Item={"k": "before"})  # LATEST: what was written before start is not read
    function = Function()
    p = poller(table, function, batch_size=25, batching_window_s=0.0)
    try:
        table.put_item(Item={"k": "a", "n": 7, "b": b"\x00\x01"})
        table.update_item(Key={"k": "a"}, UpdateExpression="SET n = :v",
                          ExpressionAttributeValues={":v": 8})
        table.delete_item(Key={"k": "a"})
        p.drain()
    finally:
        p.stop()

    records = [r for e in function.events for r in e["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    first = records[0]
    assert set(first) == {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion",
                          "dynamodb", "eventSourceARN"}
    assert (first["eventVersion"], first["eventSource"], first["awsRegion"]) == (
        "1.1", "aws:dynamodb", REGION)
    assert first["eventSourceARN"] == table.latest_stream_arn
    dynamodb = first["dynamodb"]
    assert dynamodb["Keys"] == {"k": {"S": "a"}}
    assert dynamodb["NewImage"] == {"k": {"S": "a"}, "n": {"N": "7"}, "b": {"B": "AAE="}}
    assert isinstance(dynamodb["ApproximateCreationDateTime"], float)
    assert abs(dynamodb["ApproximateCreationDateTime"] - time.time()) < 60
    assert isinstance(dynamodb["SequenceNumber"], str) and isinstance(dynamodb["SizeBytes"], int)
    assert dynamodb["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert records[1]["dynamodb"]["OldImage"]["n"] == {"N": "7"}
    assert "NewImage" not in records[2]["dynamodb"]


def test_a_write_that_changes_nothing_gives_no_record(table: Any) -> None:
    function = Function()
    p = poller(table, function, batching_window_s=0.0)
    try:
        table.put_item(Item={"k": "a", "n": 1})
        table.put_item(Item={"k": "a", "n": 1})  # moto records a MODIFY; DynamoDB does not
        p.drain()
    finally:
        p.stop()
    assert [r["eventName"] for e in function.events for r in e["Records"]] == ["INSERT"]


def test_batches_hold_at_most_batch_size_and_wait_for_the_window(table: Any) -> None:
    function = Function()
    p = poller(table, function, batch_size=2, batching_window_s=0.5)
    try:
        started = time.monotonic()
        table.put_item(Item={"k": "only"})
        p.drain()
        waited = time.monotonic() - started
        for k in "abcde":
            table.put_item(Item={"k": k})
        p.drain()
    finally:
        p.stop()
    assert waited >= 0.5, "a lone record waits for the batching window"
    assert function.keys() == ["only", *"abcde"]
    assert all(len(e["Records"]) <= 2 for e in function.events)


def test_a_burst_longer_than_one_page_is_read_whole(table: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_poller, "PAGE", 2)
    function = Function()
    p = poller(table, function, batching_window_s=0.0)
    try:
        with table.batch_writer() as batch:
            for k in "abcdefg":
                batch.put_item(Item={"k": k})
        p.drain()
    finally:
        p.stop()
    assert function.keys() == list("abcdefg")


def test_a_failed_batch_is_retried_then_given_up(table: Any) -> None:
    function = Function()
    function.fail = lambda event: function.failures < 2  # fails twice, then works
    p = poller(table, function, batching_window_s=0.0, max_retries=3)
    try:
        table.put_item(Item={"k": "a"})
        p.drain()
        assert function.keys() == ["a"] and function.failures == 2

        function.fail = lambda event: any(
            r["dynamodb"]["Keys"]["k"]["S"] == "poison" for r in event["Records"])
        table.put_item(Item={"k": "poison"})
        p.drain()
        table.put_item(Item={"k": "b"})
        p.drain()
    finally:
        p.stop()
    assert function.failures == 2 + 4, "the first try and MaximumRetryAttempts retries"
    assert p.dropped == 1 and function.keys() == ["a", "b"]


def test_bisecting_isolates_the_failing_record(table: Any) -> None:
    function = Function()
    function.fail = lambda event: len(event["Records"]) > 1 and any(
        r["dynamodb"]["Keys"]["k"]["S"] == "bad" for r in event["Records"])
    p = StreamPoller(function, region=REGION, account=ACCOUNT)
    p.add("guard", StreamEventSpec("Edited", "T", batch_size=4, batching_window_s=0.3,
                                   max_retries=5, bisect_on_error=True),
          table.latest_stream_arn)
    p.start()
    try:
        for k in ["bad", "x", "y", "z"]:
            table.put_item(Item={"k": k})
        p.drain()
    finally:
        p.stop()
    assert function.keys() == ["bad", "x", "y", "z"]
    assert [len(e["Records"]) for e in function.events][0] == 1, "halved down to the bad one"


def test_streams_are_read_only_when_they_grew_and_used_iterators_are_forgotten(
    table: Any,
) -> None:
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    calls: list[str] = []
    p = poller(table, Function(), batching_window_s=0.0)
    p._client.meta.events.register(  # the poller's own client: count its reads
        "before-call.dynamodb-streams.GetRecords", lambda **kw: calls.append("GetRecords"))
    try:
        time.sleep(0.3)  # six idle polls
        idle = len(calls)
        for k in "abc":
            table.put_item(Item={"k": k})
            p.drain()
    finally:
        p.stop()
    assert idle <= 1, "at most the first read: none while nothing changes"
    assert 3 <= len(calls) - idle <= 6
    assert len(dynamodbstreams_backends[ACCOUNT][REGION].shard_iterators) <= 2
    local_moto.verify()


def test_drain_without_streams_returns_at_once() -> None:
    StreamPoller(Function(), region=REGION, account=ACCOUNT).drain(timeout=0.01)
