"""Offline checks of template.yaml against the repository: no AWS account, no network.

Run from anywhere: ``.venv/bin/python tools/check_template.py``. Exits non-zero on any
problem. The checks:

1. the SAM template transforms to CloudFormation offline (samtranslator, as ``sam validate``);
2. cfn-lint finds nothing in template.yaml nor in the transformed CloudFormation;
3. every ``${...}`` in ``infra/statemachines/*.asl.json`` has a DefinitionSubstitutions key,
   and every key is used;
4. every ``functions/<name>/app.py`` has exactly one function in the template, and vice versa;
5. ``POWERTOOLS_LOGGER_LOG_EVENT`` is ``"false"`` wherever it is set (events carry phones);
6. the timeline table is append-only for every role (no UpdateItem, DeleteItem, ``*``);
7. no role grants ``dynamodb:*`` (or ``*``), or DynamoDB actions on ``Resource: "*"``;
8. no environment variable carries a secret in plain text: secrets are Secrets Manager ARNs;
9. statelint finds nothing in each state machine's definition, its ``${...}`` filled as
   DefinitionSubstitutions fill them (local/template.py), with plausible ARNs.

The functions are importable (tests/component/test_template.py reuses them).
"""

from __future__ import annotations

import copy
import json
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from local import template as sam_template

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "template.yaml"
ASL_DIR = REPO / "infra" / "statemachines"
FUNCTIONS_DIR = REPO / "functions"
REGION = "us-east-1"  # any commercial region: the transform only needs one to fill ARNs
ACCOUNT = "123456789012"  # a plausible account id for the ARNs statelint sees

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
SERVERLESS_STATE_MACHINE = "AWS::Serverless::StateMachine"
TIMELINE_TABLE = "TimelineTable"
TIMELINE_FORBIDDEN = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                      "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"}
SECRET_ENV = re.compile(r"(SECRET|TOKEN|PASSWORD|AUTH|API_KEY|CREDENTIAL)", re.IGNORECASE)

# cfn-lint runs with its informational rules (I...) too; any finding fails the check,
# except these rules, each ignored only where stated and for the reason given.
IGNORED_RULES: dict[str, str] = {}  # in template.yaml (none)
IGNORED_RULES_TRANSFORMED: dict[str, str] = {  # in the transformed CloudFormation only
    # Hard-coded partition: the offline transform resolves ${AWS::Partition} to "aws" in the
    # ARNs it generates, and the public Powertools layer exists in the aws partition only.
    "I3042": "partition inlined by the offline transform / Powertools layer ARN",
}


# ---------------------------------------------------------------- loading and transforming


class _CfnLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation short forms (!Ref, !Sub, !GetAtt ...)."""


def _install_intrinsics() -> None:
    from samtranslator.yaml_helper import intrinsics_multi_constructor

    _CfnLoader.add_multi_constructor("!", intrinsics_multi_constructor)


_install_intrinsics()


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The SAM template as plain data, short-form intrinsics in their long form."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 (safe)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a mapping")
    return data


def resources(template: dict[str, Any], rtype: str | None = None) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = template.get("Resources", {})
    return {k: v for k, v in found.items() if rtype is None or v.get("Type") == rtype}


def _offline_ready(sam: dict[str, Any], repo: Path) -> dict[str, Any]:
    """What ``sam build`` + ``sam package`` would hand CloudFormation, without S3.

    Local code folders become placeholder S3 URIs (as ``sam validate`` does) and each state
    machine's local DefinitionUri is inlined as ``Definition`` so that cfn-lint also sees
    the ASL with its substitutions.
    """
    sam = copy.deepcopy(sam)
    for logical_id, res in resources(sam).items():
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://offline-check/{logical_id}.zip"
        uri = props.get("DefinitionUri")
        if res.get("Type") == SERVERLESS_STATE_MACHINE and isinstance(uri, str):
            if not uri.startswith("s3://"):
                props["Definition"] = json.loads((repo / uri).read_text(encoding="utf-8"))
                del props["DefinitionUri"]
    return sam


def sam_transform(sam: dict[str, Any], repo: Path = REPO) -> dict[str, Any]:
    """Transform the SAM template to CloudFormation, offline.

    This is ``samtranslator.translator.transform.transform`` with the two inputs it would
    otherwise take from the environment made explicit, as ``sam validate`` does: a boto3
    session that only names a region (no credentials, no calls) and a managed-policy map
    that is empty (the template names managed policies by ARN, never by name).
    """
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import (
        to_py27_compatible_template,
        undo_mark_unicode_str_in_template,
    )

    fragment = _offline_ready(sam, repo)
    parameter_values: dict[str, Any] = {}
    to_py27_compatible_template(fragment, parameter_values)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    cfn = translator.translate(fragment, parameter_values, get_managed_policy_map=dict)
    return dict(undo_mark_unicode_str_in_template(cfn))


# ---------------------------------------------------------------- cfn-lint


def lint(path: Path, ignored: dict[str, str] = IGNORED_RULES) -> list[str]:
    """cfn-lint findings (errors, warnings, informational), except the ``ignored`` rules."""
    from cfnlint.api import ManualArgs, lint_file

    config = ManualArgs(regions=[REGION], include_checks=["I"], ignore_checks=sorted(ignored))
    return [
        f"{path.name}:{m.linenumber}: {m.rule.id} {m.message}" for m in lint_file(path, config)
    ]


# ---------------------------------------------------------------- repository consistency


def check_asl_substitutions(sam: dict[str, Any], repo: Path = REPO) -> list[str]:
    """Every ${...} in an ASL file is a DefinitionSubstitutions key, and every key is used."""
    problems: list[str] = []
    machines = resources(sam, SERVERLESS_STATE_MACHINE)
    by_file = {
        (repo / str(res["Properties"].get("DefinitionUri", ""))).resolve(): (name, res)
        for name, res in machines.items()
    }
    asl_files = sorted((repo / ASL_DIR.relative_to(REPO)).glob("*.asl.json"))
    if not asl_files:
        problems.append(f"no {ASL_DIR.relative_to(REPO)}/*.asl.json found")
    for asl in asl_files:
        rel = asl.relative_to(repo)
        if asl.resolve() not in by_file:
            problems.append(f"{rel}: no AWS::Serverless::StateMachine has it as DefinitionUri")
            continue
        name, res = by_file[asl.resolve()]
        used = set(re.findall(r"\$\{([^}]+)\}", asl.read_text(encoding="utf-8")))
        given = set(res["Properties"].get("DefinitionSubstitutions", {}))
        for key in sorted(used - given):
            problems.append(f"{rel}: ${{{key}}} has no DefinitionSubstitutions key in {name}")
        for key in sorted(given - used):
            problems.append(f"{name}: DefinitionSubstitutions key {key} is not used in {rel}")
    for asl_path, (name, _) in by_file.items():
        if not asl_path.is_file():
            problems.append(f"{name}: DefinitionUri {asl_path} does not exist")
    return problems


def function_folders(repo: Path = REPO) -> set[str]:
    return {p.parent.name for p in (repo / FUNCTIONS_DIR.relative_to(REPO)).glob("*/app.py")}


def check_functions(sam: dict[str, Any], repo: Path = REPO) -> list[str]:
    """Each functions/<name>/app.py is exactly one function's CodeUri, and vice versa."""
    problems: list[str] = []
    owners: dict[str, list[str]] = {}
    for name, res in resources(sam, SERVERLESS_FUNCTION).items():
        code_uri = str(res.get("Properties", {}).get("CodeUri", ""))
        parts = Path(code_uri).parts
        if len(parts) != 2 or parts[0] != "functions":
            problems.append(f"{name}: CodeUri {code_uri!r} is not functions/<name>/")
            continue
        owners.setdefault(parts[1], []).append(name)
        if not (repo / "functions" / parts[1] / "app.py").is_file():
            problems.append(f"{name}: functions/{parts[1]}/app.py does not exist")
    for folder in sorted(function_folders(repo)):
        count = len(owners.get(folder, []))
        if count != 1:
            problems.append(f"functions/{folder}/ is the CodeUri of {count} functions (want 1)")
    return problems


def _environments(sam: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    globals_env = sam.get("Globals", {}).get("Function", {}).get("Environment", {})
    yield "Globals", globals_env.get("Variables", {}) or {}
    for name, res in resources(sam, SERVERLESS_FUNCTION).items():
        env = res.get("Properties", {}).get("Environment", {}) or {}
        yield name, env.get("Variables", {}) or {}


def check_log_event(sam: dict[str, Any]) -> list[str]:
    """POWERTOOLS_LOGGER_LOG_EVENT is set globally and is "false" wherever it is set."""
    problems: list[str] = []
    seen_global = False
    for where, variables in _environments(sam):
        if "POWERTOOLS_LOGGER_LOG_EVENT" not in variables:
            continue
        seen_global = seen_global or where == "Globals"
        value = variables["POWERTOOLS_LOGGER_LOG_EVENT"]
        if value != "false":
            problems.append(f"{where}: POWERTOOLS_LOGGER_LOG_EVENT is {value!r}, must be 'false'")
    if not seen_global:
        problems.append("Globals: POWERTOOLS_LOGGER_LOG_EVENT is not set to 'false'")
    return problems


def check_no_plain_secrets(sam: dict[str, Any]) -> list[str]:
    """Secret-looking variables reference a Secrets Manager secret, never hold a value; and
    no secret in the template carries a literal credential (placeholders are empty)."""
    problems: list[str] = []
    secrets = resources(sam, "AWS::SecretsManager::Secret")
    for where, variables in _environments(sam):
        for key, value in variables.items():
            if not SECRET_ENV.search(key):
                continue
            is_ref = isinstance(value, dict) and value.get("Ref") in secrets
            if not (key.endswith("_ARN") and is_ref):
                problems.append(f"{where}: {key} must be !Ref to an AWS::SecretsManager::Secret")
    for name, res in secrets.items():
        literal = res.get("Properties", {}).get("SecretString")
        if literal is None:
            continue
        try:
            filled = [k for k, v in json.loads(literal).items() if v]
        except (TypeError, ValueError, AttributeError):
            filled = ["<not a JSON object of placeholders>"]
        if filled:
            problems.append(f"{name}: SecretString has literal values for {filled}")
    return problems


# ---------------------------------------------------------------- statelint

# How a Ref / GetAtt of each resource type reads once deployed: (service, resource prefix).
_ARN_SHAPES = {
    "AWS::Serverless::Function": ("lambda", "function:"),
    "AWS::DynamoDB::Table": ("dynamodb", "table/"),
    "AWS::SNS::Topic": ("sns", ""),
    "AWS::SecretsManager::Secret": ("secretsmanager", "secret:"),
    SERVERLESS_STATE_MACHINE: ("states", "stateMachine:"),
}


def plausible_refs(template: sam_template.Template,
                   stack: str = "crisis-pager") -> dict[str, str]:
    """A refs mapping for ``local.template.resolve``: the pseudo parameters, the parameters'
    defaults, and for every resource the ARN a deploy would give it (``X``, ``X.Arn``)."""
    refs = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": stack,
            "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
            **template.parameter_defaults()}
    for logical_id, res in resources(template.raw).items():
        service, prefix = _ARN_SHAPES.get(res.get("Type", ""), ("", ""))
        if not service:
            continue
        arn = f"arn:aws:{service}:{REGION}:{ACCOUNT}:{prefix}{stack}-{logical_id}"
        refs[logical_id] = refs[f"{logical_id}.Arn"] = arn
        if res.get("Type") == "AWS::DynamoDB::Table":
            refs[f"{logical_id}.StreamArn"] = f"{arn}/stream/2026-01-01T00:00:00.000"
    return refs


def check_statelint(repo: Path = REPO) -> list[str]:
    """statelint's findings in each state machine's definition as deployed: every ${...}
    filled from its DefinitionSubstitutions (plausible ARNs), as Step Functions sees it."""
    from statelint.linter import Linter

    parsed = sam_template.load(repo / TEMPLATE.relative_to(REPO))
    refs = plausible_refs(parsed)
    problems: list[str] = []
    for name, machine in sorted(parsed.state_machines.items()):
        try:
            definition = json.loads(machine.render(refs))
        except (sam_template.TemplateError, ValueError) as exc:
            problems.append(f"{name}: cannot fill the definition's substitutions: {exc}")
            continue
        problems += [f"{name}: {p}" for p in Linter.validate(definition)]
    return problems


# ---------------------------------------------------------------- IAM (transformed template)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(cfn: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(role logical id, Allow statement) for every inline policy of every IAM role."""
    for name, res in resources(cfn, "AWS::IAM::Role").items():
        for policy in res.get("Properties", {}).get("Policies", []):
            for stmt in _as_list(policy.get("PolicyDocument", {}).get("Statement", [])):
                if stmt.get("Effect") == "Allow":
                    yield name, stmt


def _refers_to(value: Any, logical_id: str) -> bool:
    """Whether a Resource value (with intrinsics) names the resource ``logical_id``."""
    return logical_id in re.findall(r"[A-Za-z0-9]+", json.dumps(value))


def _actions(stmt: dict[str, Any]) -> set[str]:
    return {str(a) for a in _as_list(stmt.get("Action", []))}


def check_timeline_append_only(cfn: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for role, stmt in role_statements(cfn):
        if not any(_refers_to(r, TIMELINE_TABLE) for r in _as_list(stmt.get("Resource", []))):
            continue
        bad = {a for a in _actions(stmt) if a in TIMELINE_FORBIDDEN or a.endswith("*")}
        if bad:
            problems.append(f"{role}: {sorted(bad)} on {TIMELINE_TABLE} (append-only)")
    return problems


def check_no_dynamodb_wildcards(cfn: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for role, stmt in role_statements(cfn):
        actions = _actions(stmt)
        wild = {a for a in actions if a in {"*", "dynamodb:*"}}
        if wild:
            problems.append(f"{role}: grants {sorted(wild)}")
        dynamo = {a for a in actions if a.startswith("dynamodb:")}
        if dynamo and "*" in _as_list(stmt.get("Resource", [])):
            problems.append(f"{role}: {sorted(dynamo)} on Resource '*'")
    return problems


# ---------------------------------------------------------------- report


def run_checks(repo: Path = REPO) -> dict[str, list[str]]:
    """Every check by name, with its problems (an empty list: passed)."""
    report: dict[str, list[str]] = {}
    template_path = repo / TEMPLATE.relative_to(REPO)
    sam = load_template(template_path)
    try:
        cfn: dict[str, Any] | None = sam_transform(sam, repo)
        report["SAM transform (offline)"] = []
    except Exception as exc:  # any failure of the transform is a finding
        cfn = None
        report["SAM transform (offline)"] = [f"{type(exc).__name__}: {exc}"]
    report["cfn-lint template.yaml"] = lint(template_path)
    if cfn is not None:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "transformed.json"
            out.write_text(json.dumps(cfn, indent=1), encoding="utf-8")
            report["cfn-lint transformed CloudFormation"] = lint(out, IGNORED_RULES_TRANSFORMED)
        report["timeline table append-only"] = check_timeline_append_only(cfn)
        report["no DynamoDB wildcards"] = check_no_dynamodb_wildcards(cfn)
    report["ASL substitutions"] = check_asl_substitutions(sam, repo)
    report["statelint (ASL, substitutions filled)"] = check_statelint(repo)
    report["one function per functions/ folder"] = check_functions(sam, repo)
    report["POWERTOOLS_LOGGER_LOG_EVENT=false"] = check_log_event(sam)
    report["no plain-text secrets in env"] = check_no_plain_secrets(sam)
    return report


def main() -> int:
    report = run_checks()
    out = sys.stdout
    for check, problems in report.items():
        out.write(f"{'ok  ' if not problems else 'FAIL'}  {check}\n")
        for problem in problems:
            out.write(f"        {problem}\n")
    failed = sum(1 for problems in report.values() if problems)
    out.write(f"\n{len(report) - failed}/{len(report)} checks passed\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
