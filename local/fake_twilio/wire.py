"""What Twilio puts on the wire: the JSON of a message or a call as its REST API answers it,
its error bodies, the form fields its call webhooks carry, and the way it reads form values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from local.fake_twilio.account import CallState, MessageState

API_VERSION = "2010-04-01"
MESSAGING_SERVICE_SENDER = "+15005550006"  # the number a Messaging Service sends from


def message_json(state: MessageState) -> dict[str, Any]:
    m = state.message
    uri = f"/{API_VERSION}/Accounts/{m.account_sid}/Messages/{m.sid}"
    sender = m.from_ or (MESSAGING_SERVICE_SENDER if state.date_sent is not None else None)
    return {
        "account_sid": m.account_sid,
        "api_version": API_VERSION,
        "body": m.body,
        "date_created": rfc2822(m.at),
        "date_sent": rfc2822(state.date_sent) if state.date_sent is not None else None,
        "date_updated": rfc2822(state.updated),
        "direction": "outbound-api",
        "error_code": state.error_code,
        "error_message": None,
        "from": sender,
        "messaging_service_sid": m.messaging_service_sid,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": m.sid,
        "status": state.status,
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": m.to,
        "uri": f"{uri}.json",
    }


def call_json(state: CallState) -> dict[str, Any]:
    c = state.call
    uri = f"/{API_VERSION}/Accounts/{c.account_sid}/Calls/{c.sid}"
    return {
        "account_sid": c.account_sid,
        "annotation": None,
        "answered_by": state.answered_by,
        "api_version": API_VERSION,
        "caller_name": None,
        "date_created": rfc2822(c.at),
        "date_updated": rfc2822(state.updated),
        "direction": "outbound-api",
        "duration": None if state.duration is None else str(state.duration),
        "end_time": None if state.end_time is None else rfc2822(state.end_time),
        "forwarded_from": None,
        "from": c.from_,
        "from_formatted": c.from_,
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": c.sid,
        "start_time": None if state.start_time is None else rfc2822(state.start_time),
        "status": state.status,
        "subresource_uris": {
            "notifications": f"{uri}/Notifications.json",
            "recordings": f"{uri}/Recordings.json",
            "events": f"{uri}/Events.json",
        },
        "to": c.to,
        "to_formatted": c.to,
        "trunk_sid": None,
        "uri": f"{uri}.json",
    }


def call_fields(state: CallState, status: str) -> dict[str, str]:
    """The fields of every webhook Twilio posts about a call (voice and status)."""
    call = state.call
    fields = {
        "CallSid": call.sid,
        "AccountSid": call.account_sid,
        "From": call.from_,
        "To": call.to,
        "Caller": call.from_,
        "Called": call.to,
        "CallStatus": status,
        "Direction": "outbound-api",
        "ApiVersion": API_VERSION,
    }
    if state.answered_by is not None:
        fields["AnsweredBy"] = state.answered_by
    return fields


def error(status: int, code: int, message: str, more_info: str | None = None) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": more_info or f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def to_json(body: Mapping[str, Any]) -> str:
    return json.dumps(body)


def rfc2822(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def form_value(value: Any) -> str | None:
    """A posted field as one string (the first, when the client sent a list)."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = value[0] if value else None
        return None if value is None else str(value)
    return str(value)


def form_values(value: Any) -> list[str]:
    """A posted field as a list of strings (a field the client may repeat)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]
