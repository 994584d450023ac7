"""moto, made to run the local stack (moto is pinned to exactly 5.2.5: this touches its internals).

With ``mock_aws(config={"stepfunctions": {"execute_state_machine": True},
"lambda": {"use_docker": False}})`` moto runs the real ``.asl.json``. The local stack needs
what moto does not offer, each a small patch in a module of its own with its own
``verify()`` that fails loudly, naming the attribute, if moto moved what it patches:

- ``timing``: ladder time. moto's waits (task timeouts, ``.waitForTaskToken``, Wait states,
  Retry backoff) sleep on the ladder clock (:func:`set_ladder_clock`) or in scaled wall time.
- ``lambda_invoke``: Lambda tasks run the real handlers (:func:`set_lambda_router`).
- ``atomic_writes``: DynamoDB writes and StartExecution serialised, as they are on AWS
  (:func:`atomic_dynamodb_writes` installs only this one).
- ``jsonpath_cache``: each JSONPath of the state machine parsed once, one thread at a time.
- ``boto_clients``: one boto3 client per service for moto's tasks, not one per task.
- ``stream_shards``: what the stream poller reads of moto's DynamoDB streams
  (:func:`set_stream_listener`, :func:`stream_position`, :func:`forget_shard_iterator`).

``stream_poller`` delivers the tables' stream records to functions, as Lambda's event source
mappings do (moto delivers none); ``patching`` is the plumbing the patches share.

:func:`apply` runs :func:`verify` (every module's) and is idempotent: it may be called again
to change the scale. :func:`restore` undoes everything; :func:`override` is a context
manager for tests that must leave the process as they found it.

Imported as ``local.moto``; inside it, ``import moto`` is the real moto (absolute imports).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from local.moto import (
    atomic_writes,
    boto_clients,
    jsonpath_cache,
    lambda_invoke,
    patching,
    stream_shards,
    timing,
)
from local.moto.atomic_writes import atomic_dynamodb_writes
from local.moto.lambda_invoke import LambdaRouter, lambda_router, set_lambda_router
from local.moto.patching import PINNED_MOTO_VERSION, MotoMoved
from local.moto.stream_shards import (
    forget_shard_iterator,
    set_stream_listener,
    stream_position,
)
from local.moto.timing import (
    CALLBACK_MARGIN_S,
    LadderTime,
    current_scale,
    set_ladder_clock,
)

# Every patch module, each with its own verify().
PATCHES = (timing, lambda_invoke, atomic_writes, jsonpath_cache, boto_clients, stream_shards)

_applied = False


def is_applied() -> bool:
    return _applied


def apply(scale: float) -> None:
    """Install the timing patches, the boto client cache, the atomic writes and the JSONPath
    cache; set the time scale (wall seconds per ladder second).

    Idempotent: calling it again only changes the scale (it takes effect for waits that
    start afterwards).
    """
    global _applied
    if not scale > 0:
        raise ValueError(f"scale must be > 0 (wall seconds per ladder second), got {scale!r}")
    with patching.LOCK:
        verify()
        timing.set_scale(scale)
        if _applied:
            return
        timing.install()
        boto_clients.install()
        atomic_writes.install()
        jsonpath_cache.install()
        _applied = True


def restore() -> None:
    """Undo every patch, drop the client cache, reset the scale to 1.0 and the router."""
    global _applied
    with patching.LOCK:
        patching.put_back_all()
        boto_clients.forget()
        timing.reset()
        _applied = False
        lambda_invoke.reset()
        stream_shards.reset()


@contextlib.contextmanager
def override(scale: float, router: LambdaRouter | None = None) -> Iterator[None]:
    """Apply ``scale`` and ``router`` for a block, then return to the previous state exactly."""
    with patching.LOCK:
        prev_applied, prev_scale, prev_router = _applied, current_scale(), lambda_router()
    apply(scale)
    set_lambda_router(router)
    try:
        yield
    finally:
        if prev_applied:
            apply(prev_scale)
        else:
            restore()
        set_lambda_router(prev_router)


def verify() -> None:
    """Raise :class:`MotoMoved` (a RuntimeError) naming, for every patch module whose checks
    fail, each moto attribute that no longer exists as expected. Each module checks moto's
    original objects (also after patching) and remembers a pass, so this may run at any
    time."""
    problems: dict[str, list[str]] = {}
    for part in PATCHES:
        try:
            part.verify()
        except MotoMoved as exc:
            problems.update(exc.problems)
    if problems:
        raise MotoMoved(problems)


__all__ = [
    "CALLBACK_MARGIN_S",
    "PATCHES",
    "PINNED_MOTO_VERSION",
    "LadderTime",
    "LambdaRouter",
    "MotoMoved",
    "apply",
    "atomic_dynamodb_writes",
    "current_scale",
    "forget_shard_iterator",
    "is_applied",
    "lambda_router",
    "override",
    "restore",
    "set_ladder_clock",
    "set_lambda_router",
    "set_stream_listener",
    "stream_position",
    "verify",
]

# `python local/serve.py` would put local/ first on sys.path, and `import moto` would find
# this package in place of the real moto: say so, rather than fail on a missing name.
if __name__ != "local.moto":
    raise ImportError(f"local/moto was imported as {__name__!r}, in place of the real moto: "
                      "run the local stack's modules as `python -m local.<module>`")
