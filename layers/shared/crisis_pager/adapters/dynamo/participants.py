"""Participants through PynamoDB: the only code that knows the participants table's
attribute names.

Items of the participants table (``pk``, ``sk``):

- ``pk=<participant_id>, sk=v#000001``: one version of the participant's record. Each save
  is a new item, put only where none exists (``attribute_not_exists``): no version is ever
  updated or erased. The current version is the last key of the partition.
- ``pk=disclosure#<participant_id>, sk=<ISO instant>#<incident_id>``: a disclosure of the
  participant's information in a medical emergency (42 CFR 2.51), append-only. It lives in
  a partition of its own so that IAM (``dynamodb:LeadingKeys`` = ``disclosure#*``) lets
  the function that records it write nothing else: never a plan version.

And in the incidents table, ``pk=<incident_id>, sk=notice#<key>``: the claim of a
once-per-incident notice (a support person's SMS at the referral), written with UpdateItem
on a key that must not exist yet, so a retried referral never texts twice.

Version items mirror the admin's JSON document (domain.participant.participant_document):
``safety_plan`` is a map of lists of texts, ``support_persons`` a list of maps, ``location``
a map. They are read raw and validated by the domain, so a malformed one becomes an
InvalidItem naming the table, the key, the field and the reason (never the value).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import AttributeDeserializationError

from ...domain.errors import InvalidItem
from ...domain.participant import (
    TABLE,
    Participant,
    participant_document,
    participant_from_fields,
    version_key,
)
from ...domain.referral import EmergencyDisclosure
from .conditional import put_if, update_if
from .directory import type_error
from .tables import TableModel, plain

VERSION_PREFIX = "v#"
DISCLOSURE_PREFIX = "disclosure#"
NOTICE_PREFIX = "notice#"


class ParticipantVersionItem(TableModel):
    setting = "participants_table"

    class Meta:
        table_name = ""

    pk = UnicodeAttribute(hash_key=True)  # participant id
    sk = UnicodeAttribute(range_key=True)  # v#000001
    program_id = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)  # ISO 8601, readable at the console
    updated_by = UnicodeAttribute(null=True)
    preferred_name = UnicodeAttribute(null=True)
    safety_plan = MapAttribute[str, Any](null=True)
    support_persons = ListAttribute[Any](null=True)
    location = MapAttribute[str, Any](null=True)

    FIELDS = ("program_id", "version", "updated_at", "updated_by", "preferred_name",
              "safety_plan", "support_persons", "location")

    def to_domain(self) -> Participant:
        fields: dict[str, Any] = {}
        for name in self.FIELDS:
            value = getattr(self, name)
            if value is not None:
                fields[name] = plain(value)
        version = fields.get("version")
        if isinstance(version, float) and version.is_integer():
            fields["version"] = int(version)
        participant = participant_from_fields(self.pk, fields)
        if version_key(participant.version) != self.sk:
            raise InvalidItem(TABLE, f"{self.pk} / {self.sk}", "version",
                              "does not match the item's sort key")
        return participant


class DisclosureItem(TableModel):
    """A disclosure of the participant's information (42 CFR 2.51): append-only."""

    setting = "participants_table"

    class Meta:
        table_name = ""

    pk = UnicodeAttribute(hash_key=True)  # disclosure#<participant id>
    sk = UnicodeAttribute(range_key=True)  # <ISO instant>#<incident id>
    incident_id = UnicodeAttribute()
    disclosed_at = UTCDateTimeAttribute()
    recipient = UnicodeAttribute()
    recipient_affiliation = UnicodeAttribute()
    recipient_id = UnicodeAttribute()
    disclosed_by = UnicodeAttribute()
    nature_of_emergency = UnicodeAttribute()
    information_disclosed = ListAttribute[str](default=list)
    regulation = UnicodeAttribute()


class NoticeClaim(TableModel):
    """A once-per-incident notice, claimed before it is sent (incidents table)."""

    setting = "incidents_table"

    class Meta:
        table_name = ""

    pk = UnicodeAttribute(hash_key=True)  # incident id
    sk = UnicodeAttribute(range_key=True)  # notice#<key>
    claimed_at = UTCDateTimeAttribute(null=True)


def _read_versions(participant_id: str, limit: int | None) -> list[Participant | InvalidItem]:
    """Versions newest first, each validated on its own."""
    connection = ParticipantVersionItem._get_connection()
    found: list[Participant | InvalidItem] = []
    start: dict[str, Any] | None = None
    while True:
        page = connection.query(
            participant_id, ParticipantVersionItem.sk.startswith(VERSION_PREFIX),
            consistent_read=True, scan_index_forward=False, limit=limit,
            exclusive_start_key=start)
        for raw in page.get("Items", []):
            sk = str(raw.get("sk", {}).get("S", "?"))
            key = f"{participant_id} / {sk}"
            try:
                found.append(ParticipantVersionItem.from_raw_data(raw).to_domain())
            except AttributeDeserializationError as exc:
                found.append(type_error(TABLE, key, exc))
            except InvalidItem as exc:
                found.append(exc)
            if limit is not None and len(found) >= limit:
                return found
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


class DynamoParticipants:
    """The Participants port on the participants table."""

    def current(self, participant_id: str) -> Participant | None:
        latest = _read_versions(participant_id, limit=1)
        if not latest:
            return None
        if isinstance(latest[0], InvalidItem):
            raise latest[0]
        return latest[0]

    def latest_version(self, participant_id: str) -> int:
        connection = ParticipantVersionItem._get_connection()
        page = connection.query(
            participant_id, ParticipantVersionItem.sk.startswith(VERSION_PREFIX),
            consistent_read=True, scan_index_forward=False, limit=1,
            attributes_to_get=["sk"])
        for raw in page.get("Items", []):
            digits = str(raw["sk"]["S"]).removeprefix(VERSION_PREFIX)
            if digits.isdigit():
                return int(digits)
        return 0

    def history(self, participant_id: str) -> list[Participant | InvalidItem]:
        return _read_versions(participant_id, limit=None)

    def add_version(self, participant: Participant) -> bool:
        doc = participant_document(participant)
        item = ParticipantVersionItem(participant.participant_id,
                                      version_key(participant.version))
        for name in ParticipantVersionItem.FIELDS:
            setattr(item, name, doc.get(name))
        return put_if(item, ParticipantVersionItem.sk.does_not_exist())

    def record_disclosure(self, participant_id: str, disclosure: EmergencyDisclosure) -> bool:
        at = disclosure.at.astimezone(UTC)
        item = DisclosureItem(
            f"{DISCLOSURE_PREFIX}{participant_id}",
            f"{at.isoformat(timespec='microseconds')}#{disclosure.incident_id}",
            incident_id=disclosure.incident_id,
            disclosed_at=at,
            recipient=disclosure.recipient,
            recipient_affiliation=disclosure.recipient_affiliation,
            recipient_id=disclosure.recipient_id,
            disclosed_by=disclosure.disclosed_by,
            nature_of_emergency=disclosure.nature_of_emergency,
            information_disclosed=list(disclosure.information_disclosed),
            regulation=disclosure.regulation,
        )
        return put_if(item, DisclosureItem.sk.does_not_exist())

    def disclosures(self, participant_id: str) -> list[dict[str, Any]]:
        """The participant's disclosure record, oldest first (for admins and audits)."""
        return [
            {"incident_id": d.incident_id, "disclosed_at": d.disclosed_at.isoformat(),
             "recipient": d.recipient, "recipient_affiliation": d.recipient_affiliation,
             "recipient_id": d.recipient_id, "disclosed_by": d.disclosed_by,
             "nature_of_emergency": d.nature_of_emergency,
             "information_disclosed": list(d.information_disclosed or []),
             "regulation": d.regulation}
            for d in DisclosureItem.query(f"{DISCLOSURE_PREFIX}{participant_id}",
                                          consistent_read=True)
        ]

    def claim_notice(self, incident_id: str, key: str, now: datetime) -> bool:
        return update_if(NoticeClaim(incident_id, f"{NOTICE_PREFIX}{key}"),
                         [NoticeClaim.claimed_at.set(now)], NoticeClaim.pk.does_not_exist())
