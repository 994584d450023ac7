"""Lambda's DynamoDB stream event source mappings, on one machine.

For every ``Type: DynamoDB`` event in template.yaml, :class:`StreamPoller` reads the
table's stream from moto (``dynamodbstreams``: DescribeStream, GetShardIterator at the
event's StartingPosition when the stack starts, then GetRecords) and invokes the function
with an event shaped as Lambda shapes it::

    {"Records": [{"eventID", "eventName", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
                  "awsRegion", "dynamodb": {...as GetRecords returns it...}, "eventSourceARN"}]}

The poller thread looks every ~50 ms wall while records wait for delivery; when there are
none it sleeps until moto appends a record to a watched stream (``stream_shards``' stream
listener), so an idle stack costs the ladder's threads nothing. Batching follows the
event: up to BatchSize records, sent when the batch is full or its first record has
waited MaximumBatchingWindowInSeconds. A batch whose invocation raises is
retried (after a short pause) until it succeeds or MaximumRetryAttempts is spent (3 when
the template leaves it unbounded), then dropped with a warning, as Lambda does without an
on-failure destination. With BisectBatchOnFunctionError the retry sends the first half.
Partial batch responses (ReportBatchItemFailures) are not interpreted.

Where moto 5.2.5 differs from DynamoDB Streams, the records are fixed up here:

- botocore sends the streams API to the account endpoint (``<account>.streams-ddb...``),
  which moto does not intercept: the client is built with ``account_id_endpoint_mode``
  ``disabled``, which keeps ``streams.dynamodb.<region>.amazonaws.com``;
- ApproximateCreationDateTime comes back from botocore as a datetime: it is epoch seconds
  again, as in a Lambda event (and B/BS values are base64 text, as Lambda sends them);
- moto writes a MODIFY record for a write that changes nothing; DynamoDB writes none, so
  such records are skipped;
- moto labels records eventVersion "1.0" and region us-east-1 whatever the region;
- a GetRecords round trip costs milliseconds of the GIL: the poller asks moto how long
  the stream is (``stream_shards.stream_position``) and calls GetRecords only when it grew;
- moto keeps every shard iterator it hands out: each used one is forgotten
  (``stream_shards.forget_shard_iterator``).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from local.moto import stream_shards
from local.template import StreamEventSpec

LOG = logging.getLogger(__name__)
POLL_S = 0.05  # wall seconds between two looks at every stream while records wait
IDLE_S = 1.0  # with nothing waiting: sleep until a write, looking at least this often
RETRY_PAUSE_S = 0.2  # wall seconds before a failed batch is sent again
UNBOUNDED_RETRIES = 3  # MaximumRetryAttempts -1 (until the records expire), on one machine
PAGE = 1000  # GetRecords Limit (DynamoDB Streams' maximum)

Invoke = Callable[[str, dict[str, Any]], Any]  # (function folder, event) -> result


@dataclass
class _Mapping:
    """One event source mapping: a table's stream feeding one function."""

    folder: str
    spec: StreamEventSpec
    stream_arn: str
    iterators: list[str] = field(default_factory=list)  # one per shard
    pending: list[dict[str, Any]] = field(default_factory=list)
    first_seen: float = 0.0  # monotonic time the oldest pending record was read
    cap: int = 0  # the next batch's size: BatchSize, halved by bisecting on errors
    attempts: int = 0  # failed invocations of the batch at the head of pending
    retry_at: float = 0.0
    position: int = -2  # moto's stream position when last read (-2: never read)

    @property
    def table_name(self) -> str:
        return self.stream_arn.split(":", 5)[5].split("/")[1]  # ...:table/<name>/stream/<label>

    @property
    def max_retries(self) -> int:
        return self.spec.max_retries if self.spec.max_retries >= 0 else UNBOUNDED_RETRIES


class StreamPoller:
    """Delivers stream records to functions in a background thread; see the module doc."""

    def __init__(self, invoke: Invoke, *, region: str, account: str) -> None:
        self._invoke = invoke
        self._region = region
        self._account = account
        self._mappings: list[_Mapping] = []
        self._client: Any = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()  # set by a stream write, drain() and stop()
        self._cond = threading.Condition()
        self._cycles = 0
        self._flush = False  # deliver at once, without waiting out batching windows
        self.delivered = 0  # batches handed to a function successfully
        self.dropped = 0  # records given up after their retries

    def add(self, folder: str, spec: StreamEventSpec, stream_arn: str) -> None:
        self._mappings.append(_Mapping(folder, spec, stream_arn, cap=spec.batch_size))

    def start(self) -> None:
        """Open every stream at its StartingPosition (now, for LATEST) and start polling."""
        import boto3
        from botocore.config import Config

        if not self._mappings:
            return
        self._client = boto3.client("dynamodbstreams", region_name=self._region,
                                    config=Config(account_id_endpoint_mode="disabled"))
        for mapping in self._mappings:
            shards = self._client.describe_stream(
                StreamArn=mapping.stream_arn)["StreamDescription"]["Shards"]
            mapping.iterators = [
                self._client.get_shard_iterator(
                    StreamArn=mapping.stream_arn, ShardId=shard["ShardId"],
                    ShardIteratorType=mapping.spec.starting_position)["ShardIterator"]
                for shard in shards
            ]
        stream_shards.set_stream_listener(self._wake.set)
        self._thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling; waits for an invocation in flight. Undelivered records are lost."""
        self._stop.set()
        self._wake.set()
        if self._client is not None:
            stream_shards.set_stream_listener(None)
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def drain(self, timeout: float = 10.0, *, flush: bool = False) -> None:
        """Wait until every record written before this call has been delivered (or dropped).
        ``flush``: send pending batches now instead of waiting out their batching windows
        (seeding uses it, so the functions have seen the seed before anything else runs)."""
        if not self._mappings:
            return
        deadline = time.monotonic() + timeout
        with self._cond:
            self._flush = flush
            try:
                target = self._cycles + 2  # a whole read of every stream after this call
                while self._cycles < target or any(m.pending for m in self._mappings):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._thread is None:
                        raise TimeoutError("stream records still undelivered")
                    self._wake.set()
                    self._cond.wait(min(remaining, POLL_S))
            finally:
                self._flush = False

    # ------------------------------------------------------------ the thread

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # a write from now on wakes the next wait at once
            for mapping in self._mappings:
                try:
                    self._read(mapping)
                    self._deliver(mapping)
                except Exception:  # the poller itself (moto, boto3): keep polling
                    LOG.exception("stream poller: reading %s failed", mapping.stream_arn)
            with self._cond:
                self._cycles += 1
                self._cond.notify_all()
            waiting = any(m.pending for m in self._mappings)
            self._wake.wait(POLL_S if waiting else IDLE_S)

    def _read(self, mapping: _Mapping) -> None:
        position = stream_shards.stream_position(self._account, self._region, mapping.table_name)
        if position == mapping.position:
            return  # nothing new: no GetRecords round trip
        mapping.position = position
        for i in range(len(mapping.iterators)):
            while True:  # every page: the position will not change again for what is left
                iterator = mapping.iterators[i]
                page = self._client.get_records(ShardIterator=iterator, Limit=PAGE)
                stream_shards.forget_shard_iterator(self._account, self._region, iterator)
                mapping.iterators[i] = page["NextShardIterator"]
                records = [self._lambda_record(r, mapping.stream_arn) for r in page["Records"]
                           if not _changes_nothing(r)]
                if records:
                    with self._cond:
                        if not mapping.pending:
                            mapping.first_seen = time.monotonic()
                        mapping.pending.extend(records)
                if len(page["Records"]) < PAGE:
                    break

    def _deliver(self, mapping: _Mapping) -> None:
        now = time.monotonic()
        if not mapping.pending or now < mapping.retry_at:
            return
        waited = now - mapping.first_seen
        full = len(mapping.pending) >= mapping.cap
        if not (full or self._flush) and waited < mapping.spec.batching_window_s:
            return
        batch = mapping.pending[: mapping.cap]
        try:
            self._invoke(mapping.folder, {"Records": batch})
        except Exception:  # the function failed: the stack recorded it in stack.errors
            mapping.attempts += 1
            if mapping.attempts <= mapping.max_retries:
                if mapping.spec.bisect_on_error and len(batch) > 1:
                    mapping.cap = len(batch) // 2
                mapping.retry_at = now + RETRY_PAUSE_S
                return
            LOG.warning("stream poller: %s gave up %d record(s) of %s after %d attempts",
                        mapping.folder, len(batch), mapping.spec.name, mapping.attempts)
            self.dropped += len(batch)
        else:
            self.delivered += 1
        with self._cond:
            del mapping.pending[: len(batch)]
            mapping.first_seen = time.monotonic()
            mapping.cap = mapping.spec.batch_size
            mapping.attempts = 0

    def _lambda_record(self, raw: dict[str, Any], stream_arn: str) -> dict[str, Any]:
        return {
            "eventID": raw["eventID"],
            "eventName": raw["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self._region,
            "dynamodb": _as_lambda_json(raw["dynamodb"]),
            "eventSourceARN": stream_arn,
        }


def _changes_nothing(raw: dict[str, Any]) -> bool:
    images = raw.get("dynamodb", {})
    return (raw.get("eventName") == "MODIFY" and "NewImage" in images
            and images.get("OldImage") == images["NewImage"])


def _as_lambda_json(value: Any) -> Any:
    """What botocore parsed back to the JSON Lambda sends: epoch seconds, base64 text."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _as_lambda_json(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_as_lambda_json(v) for v in value]
    return value


__all__ = ["POLL_S", "StreamPoller"]
