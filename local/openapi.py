"""`make openapi`: print the hotline API's OpenAPI document, generated from the code.

    .venv/bin/python -m local.openapi > docs/openapi.json

The routes and the request/response models come from the Powertools resolver in
functions/hotline_intake/app.py; this module adds what the resolver cannot know: the
signature headers, the servers and the status codes the handler answers outside its models.
No AWS and no moto: importing the function reads no table, secret or client.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from aws_lambda_powertools.event_handler.openapi.models import APIKey, Server

TITLE = "crisis-pager hotline API"
VERSION = "1.0.0"

DESCRIPTION = """\
A hotline or monitoring system reports a crisis with `POST /v1/escalations`; crisis-pager
pages the program's on-call clinicians by SMS, rung by rung, until one accepts, and makes the
local emergency referral if nobody does. `GET /v1/escalations/{incident_id}` reads where an
incident stands. Status callbacks (`accepted`, `referred`) are POSTed to the escalation's
`callback_url`, signed the same way.

**Every request is signed** with the shared secret issued to the hotline:

    message   = f"{timestamp}.{METHOD}.{path}.{raw_body}"        (raw_body is "" for GET)
    X-CrisisPager-Signature: v1=<hex HMAC-SHA256(shared_secret, message)>
    X-CrisisPager-Timestamp: <Unix seconds; rejected beyond 5 minutes of skew>
    X-CrisisPager-Hotline:   <the hotline id issued with the secret>

All three headers are required together (the security requirement below lists them as one).
A request that is not genuinely signed gets `401 {"error": "unauthorized", "message": ...}`
before any validation.

Status codes: `POST` answers **202** with the incident (also for a retry of the same
`event_id`, with `created: false`), `409` when an `event_id` is reused with a different
body, `422` for an invalid body or unknown program (`{"error", "message", "problems"}`;
submitted values are never echoed; a `callback_url` to an internal address is refused).
`GET` answers `200`, `404`, or `422` for a malformed id.

Never put names or other identifying details in `participant_ref`; `summary` is stored
encrypted and is never texted or logged.
"""

SIGNATURE_SCHEMES = {
    "hotlineId": ("X-CrisisPager-Hotline", "The hotline id issued with the shared secret."),
    "timestamp": ("X-CrisisPager-Timestamp", "Unix seconds when the request was signed."),
    "signature": ("X-CrisisPager-Signature",
                  "`v1=` + hex HMAC-SHA256 over `{timestamp}.{METHOD}.{path}.{raw_body}` "
                  "with the shared secret."),
}

SERVERS = [
    {"url": "https://{restApiId}.execute-api.{region}.amazonaws.com/prod",
     "description": "The deployed API Gateway stage (template.yaml, StageName prod)",
     "variables": {"restApiId": {"default": "your-api-id"},
                   "region": {"default": "us-east-1"}}},
    {"url": "http://127.0.0.1:8787", "description": "`make serve`: the local stack"},
]


def schema_json() -> str:
    for key, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "POWERTOOLS_SERVICE_NAME": "crisis-pager",
                       "POWERTOOLS_METRICS_NAMESPACE": "CrisisPager",
                       "POWERTOOLS_TRACE_DISABLED": "true"}.items():
        os.environ.setdefault(key, value)
    folder = str(Path(__file__).resolve().parent.parent / "functions" / "hotline_intake")
    if folder not in sys.path:  # its task root in Lambda: intake_api.py beside app.py
        sys.path.append(folder)
    from functions.hotline_intake.app import app

    return app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        servers=[Server.model_validate(s) for s in SERVERS],
        security_schemes={
            name: APIKey.model_validate(
                {"type": "apiKey", "in": "header", "name": header, "description": text})
            for name, (header, text) in SIGNATURE_SCHEMES.items()
        },
        security=[{name: [] for name in SIGNATURE_SCHEMES}],
    )


if __name__ == "__main__":
    sys.stdout.write(schema_json() + "\n")
