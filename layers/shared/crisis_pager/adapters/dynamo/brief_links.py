"""The BriefLinks port on the incidents table: one ``link#<sha256 of the token>`` item per
secure link. The token itself is never stored: whoever reads the table cannot open a link.

The item is kept LINK_RECORD_KEEP past the link's expiry (the table's TTL attribute,
``expires_at``, then removes it), so that a late use is still recognised as an expired
link of its incident and recorded on that incident's timeline.
"""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute

from ...domain.brief import LINK_RECORD_KEEP, BriefLink, Purpose
from .conditional import put_if
from .tables import TableModel

LINK_SK = "link"


class BriefLinkItem(TableModel):
    setting = "incidents_table"

    class Meta:
        table_name = ""

    pk = UnicodeAttribute(hash_key=True)  # link#<sha256 hex of the token>
    sk = UnicodeAttribute(range_key=True, default=LINK_SK)
    incident_id = UnicodeAttribute()
    clinician_id = UnicodeAttribute()
    purpose = UnicodeAttribute()
    issued_at = UTCDateTimeAttribute()
    link_expires_at = UTCDateTimeAttribute()  # the link works until then
    expires_at = TTLAttribute()  # link_expires_at + LINK_RECORD_KEEP: DynamoDB removes it

    def to_domain(self) -> BriefLink:
        return BriefLink(
            token_hash=self.pk.removeprefix("link#"),
            incident_id=self.incident_id,
            clinician_id=self.clinician_id,
            purpose=Purpose(self.purpose),
            issued_at=self.issued_at,
            expires_at=self.link_expires_at,
        )


def _pk(token_hash: str) -> str:
    return f"link#{token_hash}"


class DynamoBriefLinks:
    def put(self, link: BriefLink) -> bool:
        item = BriefLinkItem(
            _pk(link.token_hash), LINK_SK,
            incident_id=link.incident_id,
            clinician_id=link.clinician_id,
            purpose=link.purpose.value,
            issued_at=link.issued_at,
            link_expires_at=link.expires_at,
            expires_at=link.expires_at + LINK_RECORD_KEEP,
        )
        return put_if(item, BriefLinkItem.pk.does_not_exist())

    def get(self, token_hash: str) -> BriefLink | None:
        try:
            return BriefLinkItem.get(_pk(token_hash), LINK_SK, consistent_read=True).to_domain()
        except BriefLinkItem.DoesNotExist:
            return None
