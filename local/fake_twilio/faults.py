"""Failure injection: the next requests fail, time out or crash their caller.

- :meth:`Faults.fail_next` answers with a Twilio error body;
- :meth:`Faults.timeout_next` raises ``requests.exceptions.ReadTimeout`` (as the real
  ``TwilioHttpClient`` does), optionally after the request took effect (the ambiguous case);
- :meth:`Faults.crash_next` lets the request take effect and then raises
  :class:`~local.fake_twilio.records.SimulatedCrash` in the caller (a Lambda dying before
  it records Twilio's answer).

Each can target one kind of request (``path_suffix``, ``method``); the transport
(``client.FakeTwilioHttpClient.request``) takes the first matching fault per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from local.fake_twilio.account import Account


@dataclass(frozen=True)
class Fault:
    kind: Literal["fail", "timeout", "crash"]
    after_processing: bool
    path_suffix: str | None
    method: str | None
    status: int = 0
    code: int = 0
    message: str = ""
    more_info: str = ""

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method.upper() == method)
                and (self.path_suffix is None or path.endswith(self.path_suffix)))


class Faults(Account):
    """The failure-injection part of the fake."""

    def fail_next(self, status: int, code: int, message: str, times: int = 1,
                  more_info: str | None = None, *, path_suffix: str | None = None,
                  method: str | None = None, after_processing: bool = False) -> None:
        """Answer the next ``times`` requests with ``status`` and a Twilio error body.

        ``path_suffix`` (e.g. ``"Messages.json"``) and ``method`` (e.g. ``"POST"``) limit it
        to matching requests; note that listing messages is ``GET .../Messages.json`` too.
        With ``after_processing`` the request takes effect (and its callbacks happen) before
        the error is answered.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = Fault("fail", after_processing, path_suffix, method, status, code, message,
                      more_info or f"https://www.twilio.com/docs/errors/{code}")
        with self._cond:
            self._faults.extend([fault] * times)

    def timeout_next(self, times: int = 1, *, after_processing: bool = False,
                     path_suffix: str | None = None, method: str | None = None) -> None:
        """The next ``times`` requests raise ``requests.exceptions.ReadTimeout``.

        With ``after_processing`` the message or call is created and recorded (and its
        callbacks happen) first: Twilio took it but the answer never arrived.
        ``path_suffix`` and ``method`` as for :meth:`fail_next`.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = Fault("timeout", after_processing, path_suffix, method)
        with self._cond:
            self._faults.extend([fault] * times)

    def crash_next(self, times: int = 1, *, path_suffix: str | None = None,
                   method: str | None = None) -> None:
        """The next ``times`` requests take effect (the message or call is created, its
        callbacks happen) and then raise :class:`SimulatedCrash` in the caller: a Lambda
        that dies after Twilio took the request and before it recorded the answer.
        ``path_suffix`` and ``method`` as for :meth:`fail_next`."""
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = Fault("crash", True, path_suffix, method)
        with self._cond:
            self._faults.extend([fault] * times)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for i, fault in enumerate(self._faults):
            if fault.matches(method, path):
                del self._faults[i]
                return fault
        return None
