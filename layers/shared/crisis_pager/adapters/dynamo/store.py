"""The incident store as the use cases still see it: one object serving the Incidents,
Pages, ReplyCodes and FollowUps adapters together, because service/ports.py still declares
them as one ``Incidents`` port. It goes when the use cases take each port by name."""

from __future__ import annotations

from .codes import DynamoReplyCodes
from .follow_ups import DynamoFollowUps
from .incidents import DynamoIncidents
from .pages import DynamoPages


class DynamoIncidentStore(DynamoIncidents, DynamoPages, DynamoReplyCodes, DynamoFollowUps):
    pass
