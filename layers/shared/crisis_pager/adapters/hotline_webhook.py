"""The hotline's signed requests to our API, checked at the door.

A hotline signs every request (domain/signature.py). :func:`guard` wraps a Lambda handler
so the signature is checked before the resolver sees the request: an unsigned one gets a
401 and learns nothing, not even the schema (Powertools' request validation runs before
any route middleware, so the check cannot be one). The handler reads the verified caller
as ``app.context["hotline_id"]``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from ..domain import signature

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def caller(event: APIGatewayProxyEvent, secret_for: Callable[[str], str | None]) -> str:
    """The hotline id of a genuinely signed request; raises SignatureError otherwise."""
    headers = event.headers  # case-insensitive in Powertools v3
    hotline_id = headers.get(signature.HOTLINE_HEADER)
    signature.verify(
        secret_for(hotline_id) if hotline_id else None,
        timestamp=headers.get(signature.TIMESTAMP_HEADER),
        signature=headers.get(signature.SIGNATURE_HEADER), method=event.http_method,
        path=event.path, body=event.decoded_body or "",
        now_epoch=time.time(),  # the hotline signs with wall-clock time, never a ladder clock
    )
    return str(hotline_id)


def guard(app: Any, secret_for: Callable[[str], str | None]) -> Callable[[Handler], Handler]:
    """Decorate a lambda_handler that resolves ``app``: 401 unless the hotline signed."""

    def wrap(handler: Handler) -> Handler:
        def signed(event: dict[str, Any], context: Any) -> dict[str, Any]:
            try:
                hotline_id = caller(APIGatewayProxyEvent(event), secret_for)
            except signature.SignatureError as exc:
                logging.getLogger("crisis-pager").warning(
                    "rejected unsigned request", extra={"reason": str(exc)})
                return {"statusCode": 401, "headers": {"Content-Type": "application/json"},
                        "body": json.dumps({"error": "unauthorized", "message": str(exc)})}
            app.append_context(hotline_id=hotline_id)
            return handler(event, context)

        return signed

    return wrap
