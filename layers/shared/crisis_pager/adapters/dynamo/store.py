"""The incident store as the use cases still see it: one object serving the Incidents,
Pages, ReplyCodes and FollowUps adapters together, because the use cases still take
them as one port (service/ports/store.py). It goes when they take each port by name."""

from __future__ import annotations

from .codes import DynamoReplyCodes
from .follow_ups import DynamoFollowUps
from .incidents import DynamoIncidents
from .pages import DynamoPages


class DynamoIncidentStore(DynamoIncidents, DynamoPages, DynamoReplyCodes, DynamoFollowUps):
    pass
