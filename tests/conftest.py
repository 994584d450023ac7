"""Test environment, set before any project module is imported. Never real AWS: fake
credentials and moto's default region. Each function's folder is on the path, as its task
root is in Lambda, where app.py imports the modules beside it (intake_api, brief_api:
named uniquely across functions, so none shadows another)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parent.parent / "functions"
sys.path.extend(str(p) for p in sorted(FUNCTIONS.iterdir()) if (p / "app.py").is_file())

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "crisis-pager",
        "POWERTOOLS_METRICS_NAMESPACE": "CrisisPager",
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)
