"""Callbacks, played as Twilio plays them: on a daemon worker thread per message or call,
``callback_delay`` real seconds after it was created, each request to our service signed
exactly as Twilio signs it.

:meth:`Workers._schedule` starts a job (telling ``activity(True)``, so a ladder clock holds
its time meanwhile, and ``activity(False)`` when it has run); :meth:`Workers._post` makes one
signed POST through ``webhook(url, params, headers)`` and records it. An exception on a
worker is kept in ``callback_errors``, never lost; a worker of a fake that was cleared
stops at its next step without posting anything more.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable

from local.fake_twilio.account import Account, Cancelled
from local.fake_twilio.records import CallbackError, WebhookKind, WebhookPost
from local.fake_twilio.signing import signed_headers

LOG = logging.getLogger(__name__)


class Workers(Account):
    """The worker threads of the fake, and the signed requests they make."""

    def _schedule(self, sid: str, name: str, job: Callable[[], None]) -> None:
        """Run ``job`` on a daemon thread after ``callback_delay``. Call with the lock held."""
        job_id = next(self._job_ids)
        self._pending[job_id] = name
        if self._activity is not None:
            self._activity(True)
        try:
            threading.Thread(target=self._run_job, args=(job_id, sid, name, job),
                             name=f"fake-twilio {name}", daemon=True).start()
        except BaseException:
            self._pending.pop(job_id, None)
            if self._activity is not None:
                self._activity(False)
            raise

    def _run_job(self, job_id: int, sid: str, name: str, job: Callable[[], None]) -> None:
        try:
            if self._callback_delay:
                time.sleep(self._callback_delay)
            job()
        except Cancelled:
            pass
        except Exception as exc:  # kept for the test to see, never lost
            LOG.exception("fake Twilio: %s failed", name)
            with self._cond:
                self._callback_errors.append(
                    CallbackError(sid, None, exc, traceback.format_exc()))
        finally:
            with self._cond:
                self._pending.pop(job_id, None)
                self._cond.notify_all()
            if self._activity is not None:
                self._activity(False)

    def _post(self, kind: WebhookKind, sid: str, url: str, params: dict[str, str],
              gen: int) -> tuple[int | None, str]:
        """POST a signed form to our service; (status, body), status None if it raised."""
        with self._cond:
            self._check(gen)
        assert self._webhook is not None and self._auth_token is not None
        headers = signed_headers(url, params, self._auth_token)
        at = self._clock()
        status: int | None
        try:
            status, body = self._webhook(url, dict(params), dict(headers))
            status = int(status)
        except Exception as exc:
            LOG.exception("fake Twilio: webhook %s for %s raised", url, sid)
            status, body = None, ""
            with self._cond:
                self._callback_errors.append(
                    CallbackError(sid, url, exc, traceback.format_exc()))
        with self._cond:
            self._check(gen)
            self._webhooks.append(WebhookPost(kind, sid, url, params, headers, status,
                                              body or "", at))
            self._cond.notify_all()
        return status, body or ""
