"""Lambda tasks run the real handlers: moto's docker-free Lambda, routed in-process.

``LambdaSimpleBackend.invoke`` (moto's Lambda with ``"lambda": {"use_docker": False}``)
echoes its input. :func:`set_lambda_router` replaces it with a call to
``router(function_name, event)``, marshalled as the Python Lambda runtime marshals: an
exception becomes Lambda's "Unhandled" function error, whose ``errorType`` moto's parser
surfaces as the Step Functions error name, so ``Retry``/``Catch`` on the exception class
name, ``States.TaskFailed`` and ``States.ALL`` behave as on AWS. An input that is not JSON
is ``Runtime.UnmarshalError``, a result that is not JSON ``Runtime.MarshalError``.

:func:`verify` checks the two ``LambdaSimpleBackend`` methods this relies on.
"""

from __future__ import annotations

import decimal
import json
import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from local.moto import patching
from local.moto.patching import Check, original, params

LOG = logging.getLogger(__name__)

LambdaRouter = Callable[[str, Any], Any]

_M_LAMBDA_SIMPLE = "moto.awslambda_simple.models"
_INVOKE = (_M_LAMBDA_SIMPLE, "LambdaSimpleBackend.invoke")

_router: LambdaRouter | None = None
_verified = False


def lambda_router() -> LambdaRouter | None:
    return _router


def set_lambda_router(router: LambdaRouter | None) -> None:
    """Route moto's docker-free Lambda invocations to ``router(function_name, event)``.

    ``None`` puts moto's echoing ``LambdaSimpleBackend.invoke`` back.
    """
    global _router
    with patching.LOCK:
        verify()
        _router = router
        if router is not None and not patching.is_replaced(_INVOKE):
            backend_cls = patching.module(_M_LAMBDA_SIMPLE).LambdaSimpleBackend
            patching.replace(_INVOKE, backend_cls, "invoke", _routed_invoke)
        elif router is None and patching.is_replaced(_INVOKE):
            patching.put_back(_INVOKE)


def reset() -> None:
    """No router (the patch itself is put back by the caller)."""
    global _router
    _router = None


def verify() -> None:
    """Raise :class:`~local.moto.patching.MotoMoved` if ``LambdaSimpleBackend`` no longer
    has the ``invoke`` and ``get_function`` the router relies on."""
    global _verified
    _verified = _verified or patching.check_moto(__name__, _checks)


def _checks() -> Iterator[Check]:
    yield (f"{_M_LAMBDA_SIMPLE}.LambdaSimpleBackend.invoke"
           "(self, function_name, qualifier, body, headers, response_headers)",
           lambda: params(*_INVOKE)
           == ["self", "function_name", "qualifier", "body", "headers", "response_headers"])
    yield (f"{_M_LAMBDA_SIMPLE}.LambdaSimpleBackend.get_function",
           lambda: callable(original(_M_LAMBDA_SIMPLE, "LambdaSimpleBackend.get_function")))


def _lambda_json_default(value: Any) -> Any:
    # Like the Python Lambda runtime's marshaller.
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _unhandled(response_headers: Any, error_type: str, message: str,
               stack: list[str] | None = None) -> bytes:
    response_headers["x-amz-function-error"] = "Unhandled"
    payload: dict[str, Any] = {"errorType": error_type, "errorMessage": message}
    if stack is not None:
        payload["stackTrace"] = stack
    return json.dumps(payload).encode("utf-8")


def _routed_invoke(self: Any, function_name: str, qualifier: str | None, body: Any,
                   headers: Any, response_headers: Any) -> bytes | str | None:
    router = _router
    if router is None:
        echoed: bytes | str | None = original(*_INVOKE)(self, function_name, qualifier, body,
                                                        headers, response_headers)
        return echoed
    name = self.get_function(function_name, qualifier).function_name
    raw = body.decode("utf-8") if isinstance(body, bytes | bytearray) else body
    try:
        event = json.loads(raw) if raw else {}
    except ValueError as exc:
        return _unhandled(response_headers, "Runtime.UnmarshalError",
                          f"Unable to unmarshal input: {exc}")
    try:
        result = router(name, event)
    except Exception as exc:
        LOG.info("local lambda %s raised %s: %s", name, type(exc).__name__, exc)
        return _unhandled(response_headers, type(exc).__name__, str(exc),
                          traceback.format_tb(exc.__traceback__))
    try:
        return json.dumps(result, default=_lambda_json_default).encode("utf-8")
    except (TypeError, ValueError) as exc:
        return _unhandled(response_headers, "Runtime.MarshalError",
                          f"Unable to marshal response: {exc}")
