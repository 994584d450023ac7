"""docs/openapi.json is generated from the hotline_intake resolver (`make openapi`) and must
never drift from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.openapi import schema_json

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return dict(json.loads(schema_json()))


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    target: Any = schema
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return dict(target)


def test_post_escalations_documents_the_request_body(schema: dict[str, Any]) -> None:
    post = schema["paths"]["/v1/escalations"]["post"]
    body = _resolve(schema, post["requestBody"]["content"]["application/json"]["schema"])
    assert set(body["properties"]) == {"program_id", "severity", "screener", "participant_ref",
                                       "event_id", "callback_url", "summary"}
    # A severity, a C-SSRS screener, or both: the body's validator says which is missing.
    assert set(body["required"]) == {"program_id", "participant_ref", "event_id", "summary"}


def test_get_escalation_by_id(schema: dict[str, Any]) -> None:
    get = schema["paths"]["/v1/escalations/{incident_id}"]["get"]
    assert [p["name"] for p in get["parameters"] if p["in"] == "path"] == ["incident_id"]


def test_signature_headers_are_the_security_requirement(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert {(s["type"], s["in"], s["name"]) for s in schemes.values()} == {
        ("apiKey", "header", "X-CrisisPager-Hotline"),
        ("apiKey", "header", "X-CrisisPager-Timestamp"),
        ("apiKey", "header", "X-CrisisPager-Signature"),
    }
    assert schema["security"] == [{name: [] for name in schemes}]
    assert any(s["url"] == "http://127.0.0.1:8787" for s in schema["servers"])


def test_committed_document_matches_the_code() -> None:
    committed = (ROOT / "docs" / "openapi.json").read_text()
    assert committed == schema_json() + "\n", "docs/openapi.json is stale: run `make openapi`"
