"""Conditional writes: every status change in crisis-pager is one of these. A write whose
condition does not hold answers False; every other error is raised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.models import Model


def conditional_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def _written(write: Callable[[], object], error: type[Exception]) -> bool:
    try:
        write()
    except error as exc:
        if conditional_failed(exc):
            return False
        raise
    return True


def put_if(item: Model, condition: Any) -> bool:
    """Save ``item`` where ``condition`` holds (usually: its key does not exist yet); False
    when it did not."""
    return _written(lambda: item.save(condition=condition), PutError)


def update_if(item: Model, actions: list[Any], condition: Any) -> bool:
    """Update ``item`` where ``condition`` holds; False when it did not. On success the
    item holds the updated attributes (PynamoDB asks for them back)."""
    return _written(lambda: item.update(actions=actions, condition=condition), UpdateError)


def delete_if(item: Model, condition: Any) -> bool:
    """Delete ``item`` where ``condition`` holds; False when it did not."""
    return _written(lambda: item.delete(condition=condition), DeleteError)
