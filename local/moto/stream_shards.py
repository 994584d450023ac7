"""DynamoDB streams, read quietly: what the stream poller (``local.moto.stream_poller``)
needs from moto's stream shards.

Waking a thread every 50 ms to call ``GetRecords`` through botocore and moto takes the GIL
from the ladder's threads (and shifts their interleaving), so:

- :func:`set_stream_listener` wraps ``StreamShard.add`` to tell the poller that a record was
  appended (it sleeps otherwise);
- :func:`stream_position` reads how many records a table's ``StreamShard`` holds, so
  GetRecords is called only when that changed;
- :func:`forget_shard_iterator` drops a used iterator from
  ``DynamoDBStreamsBackend.shard_iterators``, where moto keeps every one it issued.

:func:`verify` checks the moto internals each of them reads or wraps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from local.moto import patching
from local.moto.patching import Check, original, params, source

_M_STREAMS = "moto.dynamodbstreams.models"
_M_DYNAMODB = "moto.dynamodb.models"
_M_DYNAMODB_TABLE = "moto.dynamodb.models.table"
_ADD = (_M_DYNAMODB_TABLE, "StreamShard.add")

_stream_listener: Callable[[], None] | None = None
_verified = False


def set_stream_listener(listener: Callable[[], None] | None) -> None:
    """Call ``listener()`` (on the writing thread, after the write) whenever moto appends a
    record to a table's stream. ``None`` puts moto's ``StreamShard.add`` back."""
    global _stream_listener
    with patching.LOCK:
        verify()
        _stream_listener = listener
        if listener is not None and not patching.is_replaced(_ADD):
            moto_add = original(*_ADD)

            def add(self: Any, old: Any, new: Any) -> None:
                moto_add(self, old, new)
                announce = _stream_listener
                if announce is not None:
                    announce()

            patching.replace(_ADD, patching.module(_M_DYNAMODB_TABLE).StreamShard, "add", add)
        elif listener is None and patching.is_replaced(_ADD):
            patching.put_back(_ADD)


def reset() -> None:
    """No listener (the patch itself is put back by the caller)."""
    global _stream_listener
    _stream_listener = None


def stream_position(account_id: str, region: str, table_name: str) -> int:
    """The sequence number the next record of the table's stream will get (it changes
    exactly when moto appends a record); -1 when the table has no stream."""
    verify()
    backend = patching.module(_M_DYNAMODB).dynamodb_backends[account_id][region]
    shard = getattr(backend.tables.get(table_name), "stream_shard", None)
    return -1 if shard is None else int(shard.starting_sequence_number) + len(shard.items)


def forget_shard_iterator(account_id: str, region: str, iterator: str) -> None:
    """Drop a DynamoDB stream iterator the caller has used up (moto keeps each forever)."""
    verify()
    backend = patching.module(_M_STREAMS).dynamodbstreams_backends[account_id][region]
    backend.shard_iterators.pop(iterator, None)


def verify() -> None:
    """Raise :class:`~local.moto.patching.MotoMoved` if moto's stream shards or its
    iterator bookkeeping are no longer where these functions read them."""
    global _verified
    _verified = _verified or patching.check_moto(__name__, _checks)


def _checks() -> Iterator[Check]:
    yield (f"{_M_STREAMS}.DynamoDBStreamsBackend.shard_iterators (dict by iterator ARN)",
           lambda: "self.shard_iterators: dict[str, ShardIterator] = {}" in source(
               _M_STREAMS, "DynamoDBStreamsBackend.__init__")
           and "self.shard_iterators[iterator_arn]" in source(
               _M_STREAMS, "DynamoDBStreamsBackend.get_records")
           and callable(original(_M_STREAMS, "dynamodbstreams_backends").__getitem__))
    yield (f"{_M_DYNAMODB}.dynamodb_backends[..].tables[name].stream_shard.items (appended to)",
           lambda: "self.tables: dict[str, Table]" in source(_M_DYNAMODB,
                                                             "DynamoDBBackend.__init__")
           and "self.stream_shard: StreamShard | None" in source(_M_DYNAMODB_TABLE,
                                                                 "Table.__init__")
           and "self.items.append(" in source(*_ADD)
           and params(*_ADD) == ["self", "old", "new"]
           and "self.starting_sequence_number" in source(_M_DYNAMODB_TABLE,
                                                         "StreamShard.__init__"))
