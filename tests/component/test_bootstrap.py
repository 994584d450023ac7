"""bootstrap.build: every port from settings, lazily, with the clock and Twilio transport a
caller gives it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from crisis_pager import bootstrap
from crisis_pager.config import settings
from tests.component.moto_tables import ROOT, mocked_tables
from tests.fakes.clock import FakeClock


def test_build_gives_the_callers_clock_and_builds_each_adapter_once() -> None:
    clock = FakeClock()
    with mocked_tables():
        ports = bootstrap.build(settings(), clock=clock)
        assert ports.clock is clock
        assert ports.incidents is ports.incidents  # built once, kept
        assert ports.pages is ports.pages and ports.codes is ports.codes
        assert ports.incidents.get("inc_missing") is None  # bound to the moto tables
        # the incident table's other ports, each its own adapter, read the same table
        assert ports.pages.page_for("inc_missing", 0) is None
        assert ports.codes.find_page("+15035550101", "417") is None
        assert not ports.follow_ups.close_follow_up("inc_missing", "clin-ana", clock.now())


def test_two_builds_are_independent_and_name_their_own_settings() -> None:
    one = bootstrap.build(settings())
    other = bootstrap.build(replace(settings(), public_base_url="https://pager.example"))
    assert one.public_base_url() == settings().public_base_url
    assert other.public_base_url() == "https://pager.example"
    assert one.ladder is not other.ladder


def test_a_function_that_reads_incidents_imports_no_twilio_client() -> None:
    probe = (
        "import sys\n"
        "from crisis_pager import bootstrap\n"
        "from crisis_pager.config import settings\n"
        "ports = bootstrap.build(settings())\n"
        "ports.incidents, ports.timeline, ports.directory, ports.lazy_sms\n"
        "print('twilio.rest' in sys.modules, 'boto3' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1",
                               "PYTHONPATH": f"{ROOT}/layers/shared"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
