"""The ReplyCodes port: the code a phone replies with for each incident that paged it,
unique among that phone's open pages, and the page a reply names."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from ...domain.incident import Incident, Page, holds_code
from .conditional import put_if
from .items import PageItem, PhoneCodeItem, incidents_by_id, phone_pk

# A phone's claim on a reply code is expired by TTL this long after it was made: far past
# any ladder (the longest default, a low task, runs about a working week) or follow-up.
PHONE_CODE_TTL = timedelta(days=45)


def _claims(phone: str) -> list[PhoneCodeItem]:
    return list(PhoneCodeItem.query(phone_pk(phone), PhoneCodeItem.sk.startswith("code#"),
                                    consistent_read=True))


class DynamoReplyCodes:
    def claim_page_code(self, phone: str, clinician_id: str, preferred: str,
                        incident_id: str, now: datetime) -> str:
        claims = _claims(phone)
        for claim in claims:
            if claim.incident_id == incident_id:
                return claim.sk.removeprefix("code#")  # one code per incident per phone
        holders = incidents_by_id({c.incident_id for c in claims})
        held = {c.sk.removeprefix("code#"): c for c in claims}
        candidates = [preferred] + [
            str(10 ** (d - 1) + secrets.randbelow(9 * 10 ** (d - 1)))
            for d in [3] * 30 + [4] * 30
        ]
        condition: Any
        for code in candidates:
            taken = held.get(code)
            if taken is not None:
                holder = holders.get(taken.incident_id)
                if holder is not None and holds_code(holder, taken.clinician_id, now):
                    continue
                condition = PhoneCodeItem.incident_id == taken.incident_id
            else:
                condition = PhoneCodeItem.pk.does_not_exist()
            item = PhoneCodeItem(phone_pk(phone), f"code#{code}", incident_id=incident_id,
                                 clinician_id=clinician_id, claimed_at=now,
                                 expires_at=now + PHONE_CODE_TTL)
            if put_if(item, condition):
                return code
            # Another page claimed it meanwhile: maybe for this very incident.
            raced = PhoneCodeItem.get(phone_pk(phone), f"code#{code}", consistent_read=True)
            if raced.incident_id == incident_id:
                return code
        raise RuntimeError("no free reply code for this phone")

    def open_codes(self, phone: str, now: datetime) -> list[tuple[str, Incident]]:
        claims = _claims(phone)
        incidents = incidents_by_id({c.incident_id for c in claims})
        found = [
            (c.sk.removeprefix("code#"), incidents[c.incident_id]) for c in claims
            if c.incident_id in incidents
            and holds_code(incidents[c.incident_id], c.clinician_id, now)
        ]
        return sorted(found, key=lambda pair: pair[1].opened_at)

    def find_page(self, phone: str, code: str) -> Page | None:
        for item in PageItem.by_phone.query(
            phone, PageItem.code_key.startswith(f"{code}#"), scan_index_forward=False, limit=1
        ):
            return item.to_domain()
        return None
