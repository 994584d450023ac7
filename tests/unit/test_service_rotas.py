"""The rota guard's use cases with in-memory ports: which programs an edit affects, the
check and the alerts (SNS for e-mail, SMS to admin_phones)."""

from __future__ import annotations

import re

import pytest

from crisis_pager.domain.edits import CLINICIANS, PROGRAMS, Edit
from crisis_pager.domain.errors import SmsError
from crisis_pager.service import rotas
from crisis_pager.service.ports.messaging import Sms
from tests.fakes.clock import FakeClock
from tests.fakes.directory import FakeDirectory
from tests.fakes.messaging import FakeAlerts, FakeSms

ADMIN = "+15035550199"
# A time as the alerts show it, e.g. "Mon 23 Nov 10:00 PST".
WHEN = r"\w{3} \d{2} \w{3} \d{2}:\d{2} P[SD]T"


class Ports:
    def __init__(self) -> None:
        self.directory = FakeDirectory()
        self.directory.programs["west-iop"]["admin_phones"] = [ADMIN]
        self.clock = FakeClock()
        self.alerts = FakeAlerts()
        self.sms = FakeSms()
        self.sms_built = 0

    def make_sms(self) -> Sms | None:
        self.sms_built += 1
        return self.sms

    def guard(self, causes: dict[str, str]) -> rotas.GuardRun:
        return rotas.guard(causes, directory=self.directory, clock=self.clock,
                           alerts=self.alerts, sms=self.make_sms)

    def texts(self) -> list[str]:
        return [body for to, body in self.sms.sent if to == ADMIN]


@pytest.fixture
def ports() -> Ports:
    return Ports()


# ---------------------------------------------------------------- which programs


def test_a_programs_item_edit_affects_its_program_once(ports: Ports) -> None:
    edits = [Edit(PROGRAMS, "rota#backup", "west-iop"), Edit(PROGRAMS, "rota#backup", "west-iop"),
             Edit(PROGRAMS, "program", "east-iop")]
    assert rotas.programs_edited(edits, index=ports.directory) == {
        "west-iop": "an edit of rota#backup",
        "east-iop": "an edit of program",
    }


def test_a_clinician_edit_affects_the_programs_naming_them(ports: Ports) -> None:
    ports.directory.set_rota("primary", ["clin-ana"], program_id="east-iop")
    edits = [Edit(CLINICIANS, "clin-ana"), Edit(CLINICIANS, "clin-ana"),
             Edit(PROGRAMS, "rota#primary", "west-iop"), Edit(CLINICIANS, "clin-nobody")]
    assert rotas.programs_edited(edits, index=ports.directory) == {
        "west-iop": "edits of clinician clin-ana and rota#primary",
        "east-iop": "an edit of clinician clin-ana",
    }
    assert ports.directory.naming_lookups == ["clin-ana", "clin-nobody"], "once per clinician"


@pytest.mark.parametrize(("labels", "words"), [
    (["rota#backup"], "an edit of rota#backup"),
    (["rota#primary", "rota#backup"], "edits of rota#primary and rota#backup"),
    (["a", "b", "c"], "edits of a, b and c"),
    (["a", "b", "c", "d", "e"], "edits of a, b and 3 more items"),
])
def test_edits_in_words(labels: list[str], words: str) -> None:
    assert rotas.edits_in_words(labels) == words


# ---------------------------------------------------------------- the guard


def test_a_good_program_is_checked_and_nobody_is_told(ports: Ports) -> None:
    run = ports.guard({"west-iop": "an edit of rota#primary"})
    assert run.as_dict() == {"checked": ["west-iop"], "problems": {}, "alerted": [],
                             "texts_sent": 0, "failed": {}}
    assert ports.alerts.published == [] and ports.sms.sent == []
    assert ports.sms_built == 0, "Twilio is not even built when nothing is wrong"


def test_a_gap_texts_the_admins_and_publishes_to_the_topic(ports: Ports) -> None:
    del ports.directory.rotas[("west-iop", "backup")]
    run = ports.guard({"west-iop": "an edit of rota#backup"})

    assert run.problems == {"west-iop": 1} and run.alerted == ["west-iop"]
    assert run.texts_sent == 1
    (text,) = ports.texts()
    assert re.fullmatch(
        rf"crisis-pager: West IOP rota problem after an edit of rota#backup: nobody can be "
        rf"paged for backup from {WHEN} to {WHEN}: there is no rota item 'rota#backup' for "
        r"program 'west-iop'\.", text), text
    ((program, subject, message),) = ports.alerts.published
    assert program == "west-iop" and subject == "crisis-pager: rota problem in West IOP"
    assert "after an edit of rota#backup" in message and "nobody can be paged for backup" in message


def test_an_invalid_item_is_named_with_its_field_and_the_first_uncovered_window(
    ports: Ports,
) -> None:
    ports.directory.set_rota("primary", ["clin-ana"], timezone="Pacific/Atlantis")
    ports.guard({"west-iop": "an edit of rota#primary"})
    (text,) = ports.texts()
    assert "programs item west-iop / rota#primary: field 'timezone'" in text
    assert "'Pacific/Atlantis' is not a known IANA time zone" in text
    assert re.search(rf"First uncovered window: primary from {WHEN} to {WHEN}\.", text), text


def test_a_malformed_optional_program_field_is_named_though_it_still_pages(
        ports: Ports) -> None:
    """The item still reads (its default stands in), so crises are paged; the admins are
    still told, at once, what to fix and that the default is in force meanwhile."""
    ports.directory.programs["west-iop"].update(
        ladder_high="primary 5x", admin_phones=[ADMIN, "555-0198"])
    ports.guard({"west-iop": "an edit of program"})
    (text,) = ports.texts()
    assert text.startswith("crisis-pager: West IOP rota problem after an edit of program: "
                           "programs item west-iop / program: field 'ladder_high'")
    assert "; meanwhile: the default ladder." in text and "(+1 more; details by e-mail)" in text
    (_, _, mail), = ports.alerts.published
    assert "'admin_phones' '555-0198' is not an E.164 number like +15035550100; meanwhile: " \
        "only the admin phones that read" in mail


def test_a_clinician_who_cannot_be_paged_is_named(ports: Ports) -> None:
    ports.directory.set_clinician("clin-ana", name="Ana", phone="503-555")
    ports.guard({"west-iop": "an edit of clinician clin-ana"})
    (text,) = ports.texts()
    assert text.startswith("crisis-pager: West IOP rota problem after an edit of clinician "
                           "clin-ana: clinicians item clin-ana: field 'phone' '503-555' is not")
    assert re.search(rf"First uncovered window: primary from {WHEN}", text), text


def test_the_same_person_on_two_adjacent_rungs_names_both(ports: Ports) -> None:
    ports.directory.set_rota("backup", ["clin-ana"])
    ports.guard({"west-iop": "an edit of rota#backup"})
    (text,) = ports.texts()
    assert "'clin-ana' is on call for both primary and backup" in text
    assert "First uncovered window" not in text, "nobody is missing: no gap to report"


def test_more_problems_than_the_text_holds_are_counted(ports: Ports) -> None:
    ports.directory.set_rota("primary", ["clin-ana"], timezone="Pacific/Atlantis")
    ports.directory.set_rota("supervisor", ["clin-caro"], handoff="25:00")
    run = ports.guard({"west-iop": "edits of rota#primary and rota#supervisor"})
    assert run.problems == {"west-iop": 4}  # two invalid items, two gaps
    (text,) = ports.texts()
    assert text.endswith("(+2 more; details by e-mail)")
    (_, _, message) = ports.alerts.published[0]
    assert "'handoff'" in message and "supervisor" in message, "the e-mail has them all"


def test_a_long_text_is_cut_to_two_segments(ports: Ports) -> None:
    ports.directory.programs["west-iop"]["display_name"] = "W" * 40
    ports.directory.set_rota("primary-" + "x" * 30, ["clin-ana"], timezone="Mars/" + "Y" * 80)
    ports.guard({"west-iop": "an edit of rota#" + "primary-" + "x" * 30})
    (text,) = ports.texts()
    assert len(text) == rotas.SMS_LIMIT and text.endswith("…")


def test_without_sms_the_email_alert_still_goes_out(ports: Ports) -> None:
    del ports.directory.rotas[("west-iop", "backup")]
    run = rotas.guard({"west-iop": "the daily check"}, directory=ports.directory,
                      clock=ports.clock, alerts=ports.alerts, sms=lambda: None)
    assert run.alerted == ["west-iop"] and run.texts_sent == 0
    assert len(ports.alerts.published) == 1


def test_a_program_without_admin_phones_gets_the_email_only(ports: Ports) -> None:
    del ports.directory.programs["west-iop"]["admin_phones"]
    del ports.directory.rotas[("west-iop", "backup")]
    run = ports.guard({"west-iop": "the daily check"})
    assert run.alerted == ["west-iop"] and ports.sms_built == 0
    assert len(ports.alerts.published) == 1


def test_a_refused_text_does_not_stop_the_alert(ports: Ports) -> None:
    ports.directory.programs["west-iop"]["admin_phones"] = [ADMIN, "+15035550198"]
    del ports.directory.rotas[("west-iop", "backup")]
    ports.sms.fail_with = SmsError("Twilio refused the SMS", 21211)
    run = ports.guard({"west-iop": "the daily check"})
    assert run.alerted == ["west-iop"] and run.texts_sent == 0 and run.failed == {}
    assert len(ports.alerts.published) == 1


def test_one_program_failing_does_not_hide_the_others(ports: Ports) -> None:
    ports.directory.programs["east-iop"] = dict(ports.directory.programs["west-iop"],
                                                display_name="East IOP")
    for role, member in [("primary", "clin-ana"), ("backup", "clin-ben"),
                         ("supervisor", "clin-caro")]:
        ports.directory.set_rota(role, [member], program_id="east-iop")
    del ports.directory.rotas[("east-iop", "backup")]
    ports.directory.broken.add("west-iop")

    run = ports.guard(dict.fromkeys(ports.directory.program_ids(), rotas.DAILY_CHECK))

    assert run.failed == {"west-iop": "RuntimeError"}
    assert run.checked == ["east-iop"] and run.alerted == ["east-iop"]
    (text,) = ports.texts()
    assert text.startswith("crisis-pager: East IOP rota problem after the daily check: ")


def test_a_missing_program_item_is_reported_by_email(ports: Ports) -> None:
    del ports.directory.programs["west-iop"]
    run = ports.guard({"west-iop": "an edit of program"})
    assert run.alerted == ["west-iop"] and run.texts_sent == 0
    ((_, subject, message),) = ports.alerts.published
    assert subject == "crisis-pager: rota problem in west-iop"
    assert "programs item west-iop / program: does not exist" in message
