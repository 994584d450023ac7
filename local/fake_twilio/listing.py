"""Reading back what was sent: Twilio's list pages and single records.

- ``GET .../Messages.json`` (To, From, DateSent, DateSent<, DateSent>, PageSize, Page) and
  ``GET .../Calls.json`` (To, From, Status, PageSize, Page) answer Twilio's list pages,
  newest first, with its paging URIs;
- ``GET .../Messages/SM....json`` and ``.../Calls/CA....json`` fetch one record.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from local.fake_twilio.account import Account
from local.fake_twilio.wire import MESSAGING_SERVICE_SENDER, call_json, error, message_json


class Listing(Account):
    """The reading part of the fake's REST API."""

    def _list(self, account: str, rest: str, path: str,
              query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            page_size = min(max(int(query.get("PageSize") or 50), 1), 1000)
            page = max(int(query.get("Page") or 0), 0)
        except ValueError:
            return 400, error(400, 20001, "Invalid paging parameter")
        records: list[dict[str, Any]] = []
        if rest == "Messages.json":
            key = "messages"
            try:
                filters = [(op, _parse_date(query[name]))
                           for op, name in (("=", "DateSent"), ("<", "DateSent<"),
                                            (">", "DateSent>"))
                           if query.get(name)]
            except ValueError:
                return 400, error(400, 20001, "Invalid date value.")
            for m in reversed(self._messages):
                state = self._message_states[m.sid]
                sender = m.from_ or (MESSAGING_SERVICE_SENDER if state.date_sent else None)
                if m.account_sid != account or (query.get("To") and m.to != query["To"]):
                    continue
                if query.get("From") and sender != query["From"]:
                    continue
                if filters and (state.date_sent is None or not all(
                        _date_matches(state.date_sent, op, d) for op, d in filters)):
                    continue
                records.append(message_json(state))
        else:
            key = "calls"
            for c in reversed(self._calls):
                call_state = self._call_states[c.sid]
                if c.account_sid != account or (query.get("To") and c.to != query["To"]):
                    continue
                if query.get("From") and c.from_ != query["From"]:
                    continue
                if query.get("Status") and call_state.status != query["Status"]:
                    continue
                records.append(call_json(call_state))
        start = page * page_size
        chunk = records[start:start + page_size]
        filters_only = {k: v for k, v in query.items()
                        if k not in ("Page", "PageSize", "PageToken")}

        def uri(n: int) -> str:
            return f"{path}?{urlencode({**filters_only, 'PageSize': page_size, 'Page': n})}"

        more = len(records) > start + page_size
        return 200, {
            key: chunk,
            "end": start + len(chunk) - 1 if chunk else start,
            "first_page_uri": uri(0),
            "next_page_uri": f"{uri(page + 1)}&PageToken=PA{start + page_size}" if more else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "start": start,
            "uri": uri(page),
        }

    def _fetch(self, account: str, kind: str, sid: str) -> dict[str, Any] | None:
        if kind == "Messages":
            message = self._message_states.get(sid)
            if message is not None and message.message.account_sid == account:
                return message_json(message)
        else:
            call = self._call_states.get(sid)
            if call is not None and call.call.account_sid == account:
                return call_json(call)
        return None


def _parse_date(value: str) -> date | datetime:
    """A DateSent filter: ``YYYY-MM-DD`` or an ISO 8601 time (the client sends ``...Z``)."""
    if len(value) == 10:
        return date.fromisoformat(value)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date_matches(sent: float, op: str, bound: date | datetime) -> bool:
    """Twilio's inclusive DateSent filters: a date compares days, a time compares times."""
    at = datetime.fromtimestamp(sent, UTC)
    if not isinstance(bound, datetime):
        day = at.date()
        return {"=": day == bound, "<": day <= bound, ">": day >= bound}[op]
    at = at.replace(microsecond=0)
    return {"=": at.date() == bound.date(), "<": at <= bound, ">": at >= bound}[op]

