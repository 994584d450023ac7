"""One boto3 client per (region, service, interception mode) for moto's Step Functions tasks.

moto's ``boto_client_for`` builds a new boto3 client for every task it runs (~100 ms each).
:func:`install` caches them, in the defining module and in every parser module that
imported ``boto_client_for`` by name; the key includes whether moto intercepts botocore
(``mock_aws``) or serves on a port (moto server), so a client never outlives the mode it was
made for. :func:`forget` drops the cache. :func:`verify` checks ``boto_client_for`` and each
module known to import it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from local.moto import patching
from local.moto.patching import PARSER, TASK, Check, original, params

_M_BOTO = f"{PARSER}.utils.boto_client"

# Modules that did `from ...boto_client import boto_client_for` in moto 5.2.5.
_BOTO_IMPORTERS = (
    f"{TASK}.lambda_eval_utils",
    f"{TASK}.service.state_task_service_aws_sdk",
    f"{TASK}.service.state_task_service_batch",
    f"{TASK}.service.state_task_service_dynamodb",
    f"{TASK}.service.state_task_service_ecs",
    f"{TASK}.service.state_task_service_events",
    f"{TASK}.service.state_task_service_glue",
    f"{TASK}.service.state_task_service_sfn",
    f"{TASK}.service.state_task_service_sns",
    f"{TASK}.service.state_task_service_sqs",
    f"{TASK}.service.state_task_service_unsupported",
    f"{PARSER}.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
    f"{PARSER}.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
)

_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()
_verified = False


def install() -> None:
    moto_own = original(_M_BOTO, "boto_client_for")
    patching.replace((_M_BOTO, "boto_client_for"), patching.module(_M_BOTO),
                     "boto_client_for", _cached_boto_client_for)
    for name in _BOTO_IMPORTERS:
        patching.module(name)
    # Any other parser module that imported it by name (e.g. added in a patch release).
    for name, mod in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.") and mod is not None:
            if getattr(mod, "boto_client_for", None) is moto_own:
                patching.replace((name, "boto_client_for"), mod, "boto_client_for",
                                 _cached_boto_client_for)


def forget() -> None:
    """Drop every cached client."""
    with _clients_lock:
        _clients.clear()


def verify() -> None:
    """Raise :class:`~local.moto.patching.MotoMoved` if ``boto_client_for`` changed its
    signature or a module known to import it no longer does."""
    global _verified
    _verified = _verified or patching.check_moto(__name__, _checks)


def _checks() -> Iterator[Check]:
    yield (f"{_M_BOTO}.boto_client_for(region, service, state_credentials)",
           lambda: params(_M_BOTO, "boto_client_for")
           == ["region", "service", "state_credentials"])

    def has_boto_client_for(module_name: str) -> Callable[[], bool]:
        return lambda: callable(original(module_name, "boto_client_for"))

    for name in _BOTO_IMPORTERS:
        yield f"{name}.boto_client_for", has_boto_client_for(name)


def _cached_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port

    intercepting = bool(botocore_stubber.enabled)
    key = (region, service, intercepting, None if intercepting else moto_server_port())
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            moto_own = original(_M_BOTO, "boto_client_for")
            client = moto_own(region=region, service=service, state_credentials=state_credentials)
            _clients[key] = client
        return client
