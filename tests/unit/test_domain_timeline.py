"""The timeline guard's decision: only an added entry and DynamoDB's own TTL expiry leave
the append-only record intact; the alert names incidents and entry keys, nothing else."""

from __future__ import annotations

import pytest

from crisis_pager.domain.timeline import TimelineChange, tamper_alert, tampering
from crisis_pager.service.audit import guard_timeline
from tests.fakes.messaging import FakeAlerts

SEQ = "2026-12-03T06:00:00.000000+00:00#a1b2c3d4"


TTL = "dynamodb.amazonaws.com"  # a TTL deletion's userIdentity.principalId (type Service)


@pytest.mark.parametrize(("change", "what"), [
    (TimelineChange("INSERT", "inc_7", SEQ), None),
    (TimelineChange("MODIFY", "inc_7", SEQ), "overwritten"),
    (TimelineChange("REMOVE", "inc_7", SEQ), "deleted"),
    (TimelineChange("REMOVE", "inc_7", SEQ, service="backup.amazonaws.com"), "deleted"),
    (TimelineChange("REMOVE", "inc_7", SEQ, service=TTL), None),
    (TimelineChange("MODIFY", "inc_7", SEQ, service=TTL), "overwritten"),
    (TimelineChange("", "inc_7", SEQ), "changed (no event name)"),
])
def test_only_an_added_entry_or_a_ttl_expiry_is_fine(change: TimelineChange,
                                                     what: str | None) -> None:
    found = tampering(change)
    assert (found.what if found else None) == what


def test_the_alert_names_incident_and_entry_never_the_content() -> None:
    alerts = FakeAlerts()
    changes = [TimelineChange("INSERT", "inc_7", SEQ), TimelineChange("MODIFY", "inc_7", SEQ),
               TimelineChange("REMOVE", "inc_7", SEQ, TTL),
               TimelineChange("REMOVE", "inc_8", SEQ)]

    run = guard_timeline(changes, alerts=alerts)

    assert run.checked == 4 and [t.what for t in run.tampered] == ["overwritten", "deleted"]
    ((program, subject, message),) = alerts.published
    assert program == "" and subject == "crisis-pager: incident timeline changed"
    assert f"- incident inc_7 entry {SEQ} overwritten\n" in message
    assert f"- incident inc_8 entry {SEQ} deleted\n" in message
    assert "crisis-pager: 2 timeline entries were changed" in message
    assert run.alert_failed is None


def test_nothing_is_published_when_nothing_was_tampered_with() -> None:
    alerts = FakeAlerts()
    run = guard_timeline([TimelineChange("INSERT", "inc_7", SEQ),
                          TimelineChange("REMOVE", "inc_7", SEQ, TTL)],
                         alerts=alerts)
    assert run.tampered == [] and alerts.published == []


def test_a_failed_alert_is_recorded_for_the_caller_to_fail_the_batch() -> None:
    class Down(FakeAlerts):
        def publish(self, program_id: str, subject: str, message: str) -> None:
            raise ConnectionError("sns unreachable")

    run = guard_timeline([TimelineChange("MODIFY", "inc_7", SEQ)], alerts=Down())
    assert len(run.tampered) == 1 and run.alert_failed == "ConnectionError"
    assert tamper_alert(run.tampered)[1].startswith("crisis-pager: 1 timeline entry was")
