"""What every part of `make bench` shares: its constants, its formatting, the functions
it measures."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "benchmarks" / "probe.py"
# bootstrap calls a handler module makes as it is imported (timed with the import), and
# the ports the guards they install build at the first request (timed with the wiring)
AT_IMPORT = {"twilio_webhook": ["twilio_signature"], "hotline_signed": ["hotline"]}
RUNS = 7
SCALE = 0.002  # the demo's: one ladder second lasts 2 ms
ACCEPT_RUNS = 5  # warm acceptance runs after the cold one
IMMINENT_RUNS = 3  # imminent incidents accepted after the primary's page and call
AFTER_HOURS = "bench-after-hours"  # a program whose business hours are closed now
MODEL_MODULES = ("items", "timeline", "admin_items", "participants",
                 "brief_links")  # crisis_pager.adapters.dynamo.*
REGION = "us-east-1"
ACCOUNT = "123456789012"

# label -> module whose presence in sys.modules means the function pays for it
HEAVY = {
    "boto3": "boto3",
    "botocore": "botocore.client",
    "pynamodb": "pynamodb.models",
    "twilio.rest": "twilio.rest",
    "twilio-light": "twilio.request_validator",
    "pydantic": "pydantic",
    "resolver": "aws_lambda_powertools.event_handler.api_gateway",
    "pt-params": "aws_lambda_powertools.utilities.parameters",
    "requests": "requests",
    "xray": "aws_xray_sdk",
}
SHORT = {"dynamodb": "ddb", "stepfunctions": "sfn", "secretsmanager": "secrets"}

# Runs in a fresh interpreter: import one function's module (timed), then call the
# bootstrap accessors its handler calls (timed), with botocore's API calls stubbed


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def breakdown(calls: Counter[str]) -> str:
    if not calls:
        return "-"
    parts = []
    for op, n in sorted(calls.items()):
        service, _, operation = op.partition(".")
        parts.append(f"{SHORT.get(service, service)}.{operation}" + (f" x{n}" if n > 1 else ""))
    return ", ".join(parts)


def table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> None:
    right = right or set()
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            last = i == len(cells) - 1
            text = str(cell).rjust(width) if i in right else (
                str(cell) if last else str(cell).ljust(width))
            out.append(text)
        return "  ".join(out).rstrip()

    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def folders() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))


def accessors_of(folder: str) -> list[str]:
    """The bootstrap accessors a handler calls, in order of first appearance."""
    source = (ROOT / "functions" / folder / "app.py").read_text(encoding="utf-8")
    found = dict.fromkeys(re.findall(r"bootstrap\.(\w+)\(", source))
    if "p = bootstrap.ports()" in source:  # then each port it reads, as ports.<name>
        found.pop("ports", None)
        found.update(dict.fromkeys(f"ports.{name}" for name in re.findall(r"\bp\.(\w+)", source)))
    for guard, ports in AT_IMPORT.items():
        if guard in found:
            del found[guard]
            found.update(dict.fromkeys(ports))
    return list(found)
