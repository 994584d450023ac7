"""A fake transport for the real ``twilio.rest.Client`` that behaves like a Twilio account.

``Client(account_sid, auth_token, http_client=FakeTwilioHttpClient(...))`` runs all of the
real client's code (parameter serialisation, auth, paging, response parsing,
``TwilioRestException``); only the HTTP round trip is replaced. Its parts:

- ``client``: :class:`FakeTwilioHttpClient`, the transport: every REST request answered
  synchronously and recorded; inspection (``messages``, ``calls``, ``requests``,
  ``webhooks``, ``message_status``, ``transcript``), ``wait_for``, ``drain``, ``clear``.
- ``messages``: ``POST .../Messages.json``, opt-outs (STOP, code 21610), each number's
  scripted outcome (``sms_outcome``) and the message's status callbacks.
- ``calls``: ``POST .../Calls.json``, each number's scripted answer (``call_outcome``:
  human, machine, no-answer, busy, failed) and the call's status callbacks;
  ``twiml``: the conversation of an answered call (``<Say>``, ``<Gather>``, ``<Redirect>``,
  ``<Hangup>``, ...), keys pressed as scripted.
- ``listing``: ``GET`` of message and call lists (Twilio's filters and pages) and records.
- ``faults``: ``fail_next``, ``timeout_next`` (``ReadTimeout``, optionally after the
  request took effect) and ``crash_next`` (:class:`SimulatedCrash` in the caller).
- ``workers``: callbacks ("live" mode, when both ``webhook`` and ``auth_token`` are given)
  played on a daemon worker thread per message or call, ``callback_delay`` real seconds
  after it was created, every request signed as Twilio signs it; an exception in one is
  kept in ``callback_errors``, never lost. Outside live mode nothing is posted: a message
  takes its scripted final status at once and a call stays ``queued``.
- ``signing``: :func:`signed_inbound_sms`, the webhook Twilio would POST for an inbound SMS,
  signed with ``X-Twilio-Signature`` exactly as Twilio signs it (``RequestValidator``).
- ``records`` (what tests read), ``wire`` (Twilio's JSON and form fields), ``account``
  (the state the parts share).
"""

from __future__ import annotations

from local.fake_twilio.client import FakeTwilioHttpClient
from local.fake_twilio.records import (
    CallbackError,
    CallTranscript,
    MessageStatus,
    PlacedCall,
    RecordedRequest,
    SentMessage,
    SimulatedCrash,
    WebhookPost,
    new_sid,
)
from local.fake_twilio.signing import signed_inbound_sms
from local.fake_twilio.wire import MESSAGING_SERVICE_SENDER

__all__ = [
    "MESSAGING_SERVICE_SENDER",
    "CallTranscript",
    "CallbackError",
    "FakeTwilioHttpClient",
    "MessageStatus",
    "PlacedCall",
    "RecordedRequest",
    "SentMessage",
    "SimulatedCrash",
    "WebhookPost",
    "new_sid",
    "signed_inbound_sms",
]
