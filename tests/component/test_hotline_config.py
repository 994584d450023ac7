"""The hotline's entry in its secret: the original form (the shared secret alone) still
works, and the object form also names who receives the callbacks (for disclosures)."""

from __future__ import annotations

from crisis_pager.adapters.hotline import UNNAMED_AFFILIATION, HotlineGateway

SECRETS = {
    "old": "s3cret-old",
    "metro": {"secret": "s3cret-metro", "name": " Metro Crisis Line ",
              "affiliation": "988 Lifeline network crisis center"},
    "nameless": {"secret": "s3cret-nameless"},
    "no-secret": {"name": "Metro Crisis Line"},
}


def gateway() -> HotlineGateway:
    return HotlineGateway(lambda: SECRETS)


def test_both_forms_give_the_shared_secret_and_nothing_else_signs() -> None:
    g = gateway()
    assert g.secret_for("old") == "s3cret-old"
    assert g.secret_for("metro") == "s3cret-metro"
    assert g.secret_for("no-secret") is None, "a name is not a secret"
    assert g.secret_for("unknown") is None


def test_the_recipient_is_named_when_configured_and_said_when_not() -> None:
    g = gateway()
    metro = g.recipient("metro")
    assert (metro.hotline_id, metro.name, metro.affiliation) == (
        "metro", "Metro Crisis Line", "988 Lifeline network crisis center")
    old = g.recipient("old")
    assert (old.name, old.affiliation) == ("hotline old", UNNAMED_AFFILIATION)
    assert g.recipient("nameless").affiliation == UNNAMED_AFFILIATION
