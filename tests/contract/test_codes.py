"""The ReplyCodes port: each phone replies with a code unique among its open pages."""

from __future__ import annotations

from datetime import timedelta

from crisis_pager.domain.incident import CODE_HOLD_AFTER_ACCEPT, AcceptOutcome
from tests.contract.builders import ANA, BEN, T0, opened, paged
from tests.contract.conftest import Ports

LATER = T0 + timedelta(minutes=2)


def test_a_phone_gets_the_preferred_code_while_no_open_page_of_its_holds_it(
        ports: Ports) -> None:
    opened(ports, "inc_a")
    opened(ports, "inc_b", opened_at=T0 + timedelta(minutes=1))
    assert ports.codes.claim_page_code(ANA, "clin-ana", "417", "inc_a", T0) == "417"
    assert ports.codes.claim_page_code(ANA, "clin-ana", "417", "inc_a", T0) == "417"  # stable
    other = ports.codes.claim_page_code(ANA, "clin-ana", "417", "inc_b", T0)
    assert other != "417" and other.isdigit()
    assert ports.codes.claim_page_code(BEN, "clin-ben", "417", "inc_b", T0) == "417"  # other phone
    assert [(code, inc.incident_id) for code, inc in ports.codes.open_codes(ANA, LATER)] == [
        ("417", "inc_a"), (other, "inc_b")]  # oldest incident first


def test_a_code_comes_free_once_its_incident_no_longer_holds_it(ports: Ports) -> None:
    opened(ports, "inc_a")
    assert ports.codes.claim_page_code(ANA, "clin-ana", "417", "inc_a", T0) == "417"
    assert ports.incidents.accept("inc_a", "clin-ana", LATER).outcome is AcceptOutcome.ACCEPTED
    opened(ports, "inc_b", opened_at=LATER)
    # Accepted by this phone's clinician: "R 417" must still name it for a while.
    other = ports.codes.claim_page_code(ANA, "clin-ana", "417", "inc_b", LATER)
    assert other != "417"
    assert [c for c, _ in ports.codes.open_codes(ANA, LATER)] == ["417", other]
    held_past = LATER + CODE_HOLD_AFTER_ACCEPT + timedelta(seconds=1)
    assert [inc.incident_id for _, inc in ports.codes.open_codes(ANA, held_past)] == ["inc_b"]
    opened(ports, "inc_c", opened_at=held_past)
    assert ports.codes.claim_page_code(ANA, "clin-ana", "417", "inc_c", held_past) == "417"


def test_a_reply_names_the_latest_page_with_its_code_to_that_phone(ports: Ports) -> None:
    opened(ports, "inc_a")
    first = paged(ports, "inc_a", 0, code="417")
    assert ports.codes.find_page(ANA, "417") == first
    later = paged(ports, "inc_a", 1, code="417")  # the same code on the next rung
    assert ports.codes.find_page(ANA, "417") == later
    assert ports.codes.find_page(ANA, "999") is None
    assert ports.codes.find_page(BEN, "417") is None
