"""The local stack's teardown: a thread that outlives a stack (a moto execution mid-Lambda,
a fake Twilio worker mid-webhook) must never run a handler afterwards, or it would write
into the next stack's moto (one process, one moto backend)."""

from __future__ import annotations

import pytest

from local.stack import LocalStack, StackClosed


def test_a_torn_down_stack_runs_no_handler_and_answers_no_webhook() -> None:
    with LocalStack(scale=0.01) as stack:
        assert stack.api("GET", "/v1/escalations/inc_x").status == 401  # it runs while up
    with pytest.raises(StackClosed):
        stack.api("GET", "/v1/escalations/inc_x")
    status, _ = stack._twilio_webhook(  # noqa: SLF001 (the fake Twilio's entry point)
        f"{stack.public_base_url}/twilio/status/inc_x/0", {"MessageStatus": "delivered"}, {})
    assert status == 410
    assert stack.errors == []
