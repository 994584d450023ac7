"""The Participants and BriefLinks ports in memory."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from crisis_pager.domain.errors import InvalidItem


class FakeParticipants:
    """The Participants port in memory, with DynamoParticipants' conditions: a version is
    added only where none exists; a notice is claimed once. ``stored`` holds each version
    as read (a Participant, or the InvalidItem a malformed item reads as). ``before_add``
    runs just before a version is added (another writer's moment); ``fail`` makes reads
    raise (a store outage)."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[int, Any]] = {}
        self.disclosures: list[tuple[str, Any]] = []
        self.notices: set[tuple[str, str]] = set()
        self.before_add: Callable[[], None] | None = None
        self.fail = False
        self._lock = threading.RLock()

    def _versions(self, participant_id: str) -> dict[int, Any]:
        if self.fail:
            raise RuntimeError("DynamoDB is unavailable")
        return self.stored.get(participant_id, {})

    def current(self, participant_id: str) -> Any:
        versions = self._versions(participant_id)
        if not versions:
            return None
        latest = versions[max(versions)]
        if isinstance(latest, InvalidItem):
            raise latest
        return latest

    def latest_version(self, participant_id: str) -> int:
        return max(self._versions(participant_id), default=0)

    def history(self, participant_id: str) -> list[Any]:
        versions = self._versions(participant_id)
        return [versions[v] for v in sorted(versions, reverse=True)]

    def add_version(self, participant: Any) -> bool:
        if self.before_add is not None:
            hook, self.before_add = self.before_add, None
            hook()
        with self._lock:
            versions = self.stored.setdefault(participant.participant_id, {})
            if participant.version in versions:
                return False
            versions[participant.version] = participant
            return True

    def record_disclosure(self, participant_id: str, disclosure: Any) -> bool:
        self.disclosures.append((participant_id, disclosure))
        return True

    def claim_notice(self, incident_id: str, key: str, now: datetime) -> bool:
        with self._lock:
            if (incident_id, key) in self.notices:
                return False
            self.notices.add((incident_id, key))
            return True


class FakeBriefLinks:
    """The BriefLinks port: links by the hash of their token (never the token)."""

    def __init__(self) -> None:
        from crisis_pager.domain.brief import BriefLink

        self.items: dict[str, BriefLink] = {}

    def put(self, link: Any) -> bool:
        if link.token_hash in self.items:
            return False
        self.items[link.token_hash] = link
        return True

    def get(self, token_hash: str) -> Any:
        return self.items.get(token_hash)
