"""The rota guard on the local stack: admins edit items in DynamoDB, the tables' streams
deliver the changes to the guard as Lambda does, and the admins' phones (the fake Twilio)
and the alerts topic (an SQS queue subscribed to it) hear about what is wrong."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from crisis_pager.adapters.dynamo.streams import edit_from_stream
from crisis_pager.domain.edits import CLINICIANS, PROGRAMS, Edit
from local import seed
from local.stack import LocalStack
from tests.ladder.conftest import (
    PARTICIPANT_REF,
    SCALE,
    SUMMARY,
    Inbox,
    metric_total,
    open_incident,
    pages,
    wait_for_pages,
)

ADMIN = "+15035550199"
EAST_ADMIN = "+15035550198"
WHEN = r"\w{3} \d{2} \w{3} \d{2}:\d{2} P[SD]T"  # "Mon 23 Nov 10:00 PST"
REGION = "us-east-1"


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack(scale=SCALE) as s:
        seed.seed(s)
        s.put_items("ProgramsTable", [{**seed.PROGRAM, "admin_phones": [ADMIN]}])
        s.streams.drain()
        yield s


@pytest.fixture
def inbox(stack: LocalStack) -> Inbox:
    return Inbox(stack)


def texts(stack: LocalStack, phone: str = ADMIN) -> list[str]:
    return [m.body for m in stack.twilio.messages if m.to == phone]


def checks(stack: LocalStack) -> int:
    """How many programs the guard has checked (its RotaChecks metric)."""
    return metric_total(stack, "RotaChecks")


def current_rota(stack: LocalStack, name: str) -> dict[str, Any]:
    """The demo program's rota item as it is now (to edit one field of it)."""
    table = boto3.resource("dynamodb", region_name=REGION).Table(stack.refs["ProgramsTable"])
    return dict(table.get_item(Key={"program_id": seed.PROGRAM_ID, "key": f"rota#{name}"})["Item"])


def edit_and_wait_for_text(stack: LocalStack, edit: Any, phone: str = ADMIN,
                           timeout: float = 30.0) -> str:
    """The text the edit makes the rota guard send (``timeout``: wall seconds before the
    test gives up, a guard against a hang; how fast it comes is measured, not asserted)."""
    before = len(texts(stack, phone))
    edit()
    stack.wait_for(lambda: len(texts(stack, phone)) > before, timeout=timeout)
    return texts(stack, phone)[before]


# ---------------------------------------------------------------- an edit that breaks coverage


def test_deleting_a_rota_alerts_the_admins_by_sms_and_topic(stack: LocalStack,
                                                            inbox: Inbox) -> None:
    text = edit_and_wait_for_text(stack, lambda: stack.delete_item(
        "ProgramsTable", {"program_id": seed.PROGRAM_ID, "key": "rota#backup"}))

    assert re.fullmatch(
        rf"crisis-pager: West IOP rota problem after an edit of rota#backup: nobody can be "
        rf"paged for backup from {WHEN} to {WHEN}: there is no rota item 'rota#backup' for "
        r"program 'west-iop'\.", text), text
    stack.wait_for(lambda: len(inbox.messages()) == 1)
    (alert,) = inbox.messages()
    assert alert["Subject"] == "crisis-pager: rota problem in West IOP"
    assert alert["MessageAttributes"]["program_id"]["Value"] == seed.PROGRAM_ID
    assert "after an edit of rota#backup" in alert["Message"]
    assert re.search(rf"nobody can be paged for backup from {WHEN} to {WHEN}", alert["Message"])
    assert stack.errors == []


def test_a_good_edit_stays_quiet(stack: LocalStack, inbox: Inbox) -> None:
    checked = checks(stack)
    stack.put_items("ProgramsTable", [{**current_rota(stack, "primary"),
                                       "members": ["clin-ana", "clin-caro"]}])
    stack.streams.drain()

    assert checks(stack) == checked + 1, "the guard did check the program"
    assert texts(stack) == [] and inbox.messages() == []
    assert stack.errors == []


def test_an_invalid_item_is_named_with_its_field(stack: LocalStack, inbox: Inbox) -> None:
    text = edit_and_wait_for_text(stack, lambda: stack.put_items(
        "ProgramsTable", [{**current_rota(stack, "primary"), "timezone": "Pacific/Atlantis"}]))

    assert text.startswith("crisis-pager: West IOP rota problem after an edit of rota#primary: "
                           "programs item west-iop / rota#primary: field 'timezone' "
                           "'Pacific/Atlantis' is not a known IANA time zone.")
    assert re.search(rf"First uncovered window: primary from {WHEN} to {WHEN}\.", text), text
    stack.wait_for(lambda: len(inbox.messages()) == 1)
    assert "field 'timezone'" in inbox.messages()[0]["Message"]


def test_a_typo_in_an_optional_program_field_is_named_and_crises_are_still_paged(
        stack: LocalStack) -> None:
    """A holiday typed at the console as text, not a list: the admins hear which field,
    and a crisis reported meanwhile is paged at once with no holidays (the default)."""
    text = edit_and_wait_for_text(stack, lambda: stack.put_items("ProgramsTable", [
        {**seed.PROGRAM, "admin_phones": [ADMIN], "closed_dates": "2026-12-25"}]))
    assert text.startswith("crisis-pager: West IOP rota problem after an edit of program: "
                           "programs item west-iop / program: field 'closed_dates' must be "
                           "a list"), text
    assert "; meanwhile: no closed dates." in text

    incident_id, code = open_incident(stack, event_id="evt-typo")
    wait_for_pages(stack, code, 1)
    assert pages(stack, code)[0][0] == seed.phone_of("clin-ana")
    (used,) = [e for e in stack.timeline(incident_id) if e["kind"] == "program_defaults_used"]
    assert used["fields"] == ["closed_dates"]
    assert any("paged with their defaults" in line for line in stack.log_lines)
    assert stack.errors == []


def test_a_clinician_who_cannot_be_paged_is_named(stack: LocalStack, inbox: Inbox) -> None:
    ana = next(c for c in seed.CLINICIANS if c["clinician_id"] == "clin-ana")
    text = edit_and_wait_for_text(stack, lambda: stack.put_items(
        "CliniciansTable", [{**ana, "phone": "503-555"}]))

    assert text.startswith("crisis-pager: West IOP rota problem after an edit of clinician "
                           "clin-ana: clinicians item clin-ana: field 'phone' '503-555' is not "
                           "an E.164 number")
    assert re.search(rf"First uncovered window: primary from {WHEN}", text), text


def test_one_person_on_primary_and_backup_is_named_with_both_roles(stack: LocalStack) -> None:
    text = edit_and_wait_for_text(stack, lambda: stack.put_items(
        "ProgramsTable", [{**current_rota(stack, "backup"), "members": ["clin-ana", "clin-ben"]}]))

    assert "'clin-ana' is on call for both primary and backup from" in text
    assert "the backup page would reach the same person" in text


def test_several_edits_in_one_batch_give_one_alert(stack: LocalStack, inbox: Inbox) -> None:
    stack.delete_item("ProgramsTable", {"program_id": seed.PROGRAM_ID, "key": "rota#backup"})
    stack.put_items("ProgramsTable", [{**current_rota(stack, "supervisor"), "handoff": "8am"}])
    stack.streams.drain()

    (text,) = texts(stack)
    assert "after edits of rota#backup and rota#supervisor" in text
    assert len(inbox.messages()) == 1


# ---------------------------------------------------------------- the daily run


def _seed_east(stack: LocalStack) -> None:
    stack.put_items("ProgramsTable", [
        {**seed.PROGRAM, "program_id": "east-iop", "display_name": "East IOP",
         "admin_phones": [EAST_ADMIN]},
        *({**r, "program_id": "east-iop"} for r in seed.rotas(stack.clock.now())),
    ])
    stack.streams.drain()


def test_the_daily_run_alerts_for_a_broken_program_only(stack: LocalStack, inbox: Inbox) -> None:
    _seed_east(stack)
    quiet = stack.run_daily_checks()["rota_guard"]
    assert quiet == {"checked": ["east-iop", "west-iop"], "problems": {}, "alerted": [],
                     "texts_sent": 0, "failed": {}}
    assert texts(stack) == texts(stack, EAST_ADMIN) == [] and inbox.messages() == []

    stack.delete_item("ProgramsTable", {"program_id": seed.PROGRAM_ID, "key": "rota#backup"})
    stack.streams.drain()  # the edit itself alerts once
    assert len(texts(stack)) == 1

    result = stack.run_daily_checks()["rota_guard"]

    assert result["checked"] == ["east-iop", "west-iop"]
    assert result["problems"] == {"west-iop": 1} and result["alerted"] == ["west-iop"]
    assert texts(stack)[-1].startswith(
        "crisis-pager: West IOP rota problem after the daily check: nobody can be paged for "
        "backup from")
    assert len(texts(stack)) == 2 and texts(stack, EAST_ADMIN) == []
    stack.wait_for(lambda: len(inbox.messages()) == 2)
    assert {m["MessageAttributes"]["program_id"]["Value"] for m in inbox.messages()} == {
        "west-iop"}


# ---------------------------------------------------------------- retries and privacy


def test_a_failed_check_fails_the_batch_and_the_stream_retries_it(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from crisis_pager.adapters.dynamo.directory import DynamoDirectory

    real = DynamoDirectory.schedule
    calls = {"n": 0}

    def flaky(self: DynamoDirectory, program_id: str) -> Any:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise RuntimeError("throttled")
        return real(self, program_id)

    monkeypatch.setattr(DynamoDirectory, "schedule", flaky)
    text = edit_and_wait_for_text(stack, lambda: stack.delete_item(
        "ProgramsTable", {"program_id": seed.PROGRAM_ID, "key": "rota#backup"}), timeout=10)

    assert "nobody can be paged for backup" in text
    assert [type(e).__name__ for _, e in stack.errors] == ["RotaGuardFailed"] * 2
    failures = [line for line in stack.log_lines if "rota checks failed" in line]
    assert len(failures) == 2 and '"west-iop":"RuntimeError"' in failures[0].replace(" ", "")


ROTA_WORDS = set("""
    crisis pager West IOP rota problem after an edit edits of and clinician the daily check
    nobody can be paged for from to there is no item program programs west iop primary backup
    supervisor First uncovered window more details by e mail clinicians field is not a known
    IANA time zone timezone Pacific Atlantis phone E number like on call both page would reach
    same person clin ana ben caro handoff hour HH MM such as am
    Mon Tue Wed Thu Fri Sat Sun Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec PST PDT
""".split())


def test_admin_texts_and_guard_logs_carry_only_rota_words(stack: LocalStack,
                                                          inbox: Inbox) -> None:
    open_incident(stack)  # participant data now sits in DynamoDB
    ana = next(c for c in seed.CLINICIANS if c["clinician_id"] == "clin-ana")
    for edit in [
        lambda: stack.put_items("ProgramsTable", [{**current_rota(stack, "primary"),
                                                   "timezone": "Pacific/Atlantis"}]),
        lambda: stack.put_items("CliniciansTable", [{**ana, "phone": "503-555"}]),
        lambda: stack.put_items("ProgramsTable", [{**current_rota(stack, "backup"),
                                                   "members": ["clin-caro"]}]),
        lambda: stack.delete_item("ProgramsTable", {"program_id": seed.PROGRAM_ID,
                                                    "key": "rota#supervisor"}),
    ]:
        edit_and_wait_for_text(stack, edit)
    stack.run_daily_checks()

    admin_texts = texts(stack)
    assert len(admin_texts) == 5
    for text in admin_texts + [m["Message"] for m in inbox.messages()]:
        for secret in (SUMMARY, PARTICIPANT_REF, "Maria", "pills", "Ana Alvarez"):
            assert secret not in text
    for text in admin_texts:
        words = set(re.findall(r"[A-Za-z]+", text))
        assert words <= ROTA_WORDS, sorted(words - ROTA_WORDS)
    guard_logs = [line for line in stack.log_lines if "rota_guard" in line]
    assert guard_logs
    for line in guard_logs:
        for leak in ("clin-", "+1503", "503-555", *(c["phone"] for c in seed.CLINICIANS)):
            assert leak not in line, f"{leak!r} logged by the guard"


# ---------------------------------------------------------------- reading stream records


def _record(keys: dict[str, Any], name: str = "MODIFY") -> dict[str, Any]:
    return {"eventName": name, "eventSource": "aws:dynamodb",
            "dynamodb": {"Keys": keys, "NewImage": {**keys, "phone": {"S": "+15035550101"}}}}


@pytest.mark.parametrize(("keys", "edit"), [
    ({"program_id": {"S": "west-iop"}, "key": {"S": "rota#backup"}},
     Edit(PROGRAMS, "rota#backup", "west-iop")),
    ({"program_id": {"S": "west-iop"}, "key": {"S": "override#primary#2026-11-24#a1"}},
     Edit(PROGRAMS, "override#primary#2026-11-24#a1", "west-iop")),
    ({"program_id": {"S": "west-iop"}, "key": {"S": "program"}},
     Edit(PROGRAMS, "program", "west-iop")),
    ({"program_id": {"S": "west-iop"}, "key": {"S": "calendar#token"}}, None),
    ({"clinician_id": {"S": "clin-ana"}}, Edit(CLINICIANS, "clin-ana")),
    ({"pk": {"S": "inc_1"}, "sk": {"S": "incident"}}, None),
])
def test_a_stream_record_names_the_edited_item(keys: dict[str, Any], edit: Edit | None) -> None:
    assert edit_from_stream(_record(keys)) == edit
    assert edit_from_stream(_record(keys, "REMOVE")) == edit
