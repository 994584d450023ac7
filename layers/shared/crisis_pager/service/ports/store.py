"""The incident store as the use cases still take it: the four incident-table ports in one
(they go to each use case by name when Deps goes)."""

from __future__ import annotations

from typing import Protocol

from .codes import ReplyCodes
from .follow_ups import FollowUps
from .incidents import Incidents
from .pages import Pages


class IncidentStore(Incidents, Pages, ReplyCodes, FollowUps, Protocol):
    pass
