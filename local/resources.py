"""template.yaml's resources, created on moto as the deployed stack has them.

:func:`create` makes, in one account and region (:data:`ACCOUNT`, :data:`REGION`):

- every table (with its stream, when the template gives it one);
- every secret: the local Twilio account (:data:`TWILIO_FROM`, its Messaging Service) and
  the demo hotline (:data:`HOTLINE_ID`) with the tokens the stack was given, any other
  generated as Secrets Manager does from ``GenerateSecretString``;
- every SNS topic;
- one Lambda function per function, whose code is a placeholder: the local stack routes
  each invocation to the real handler in-process (``local.moto.lambda_invoke``); and the
  API routes of its API events;
- the state machine, its ``${...}`` filled from the template's DefinitionSubstitutions.

What ``!Ref`` / ``!GetAtt`` resolve to is kept in :attr:`Resources.refs` (``<LogicalId>``,
``<LogicalId>.Arn``, ``<LogicalId>.StreamArn``, ..., and the pseudo parameters), for the
functions' environment.
"""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from dataclasses import dataclass
from typing import Any

from local import template as sam

REGION = "us-east-1"
ACCOUNT = "123456789012"
HOTLINE_ID = "demo-hotline"
HOTLINE_NAME = "Demo Regional Crisis Line"
HOTLINE_AFFILIATION = "988 Lifeline network crisis center (demo)"
# Programs' own number in the fake Twilio account (voice calls come from it), and the
# Messaging Service SMS are sent through.
TWILIO_FROM = "+15005550006"
MESSAGING_SERVICE_SID = "MG" + "0" * 32


@dataclass
class Resources:
    refs: dict[str, str]  # what !Ref and !GetAtt resolve to
    secret_values: dict[str, dict[str, Any]]  # by logical id
    function_names: dict[str, str]  # moto function name -> folder
    api_events: list[tuple[str, str, str]]  # (method, path template, folder)
    state_machine_arn: str
    sfn: Any  # the Step Functions client


def create(template: sam.Template, *, public_base_url: str, twilio_auth_token: str,
           hotline_secret: str) -> Resources:
    """Create the template's resources on moto (which must be started)."""
    import boto3

    known_secrets: dict[str, dict[str, Any]] = {
        "TwilioSecret": {"account_sid": "AC" + "0" * 32, "auth_token": twilio_auth_token,
                         "from_number": TWILIO_FROM,
                         "messaging_service_sid": MESSAGING_SERVICE_SID},
        # The entry's object form: its secret, and who receives the callbacks (named by
        # the disclosure record of a referral).
        "HotlineSecret": {HOTLINE_ID: {"secret": hotline_secret, "name": HOTLINE_NAME,
                                       "affiliation": HOTLINE_AFFILIATION}},
    }

    refs = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
            "AWS::StackName": "crisis-pager-local", "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com"}
    for name, default in template.parameters.items():
        refs[name] = default
    refs["PublicBaseUrl"] = public_base_url

    ddb = boto3.client("dynamodb", region_name=REGION)
    for logical_id, table in template.tables.items():
        name = "crisis-pager-" + logical_id.removesuffix("Table").lower()
        created = ddb.create_table(**table.create_table_kwargs(name))["TableDescription"]
        refs[logical_id] = name
        refs[f"{logical_id}.Arn"] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
        if created.get("LatestStreamArn"):
            refs[f"{logical_id}.StreamArn"] = created["LatestStreamArn"]

    sm_client = boto3.client("secretsmanager", region_name=REGION)
    secret_values: dict[str, dict[str, Any]] = {}
    for logical_id, secret in template.secrets.items():
        value = known_secrets.get(logical_id)
        if value is None:  # a secret the template generates: do as Secrets Manager does
            generate = secret.properties.get("GenerateSecretString") or {}
            value = json.loads(generate.get("SecretStringTemplate") or "{}")
            if generate.get("GenerateStringKey"):
                value[generate["GenerateStringKey"]] = secrets.token_hex(24)
        secret_values[logical_id] = value
        refs[logical_id] = sm_client.create_secret(
            Name=f"crisis-pager-local/{logical_id}",
            SecretString=json.dumps(value),
        )["ARN"]

    sns = boto3.client("sns", region_name=REGION)
    for logical_id in template.topics:
        arn = sns.create_topic(Name=f"crisis-pager-local-{logical_id}")["TopicArn"]
        refs[logical_id] = arn
        refs[f"{logical_id}.TopicArn"] = arn

    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(
        RoleName="crisis-pager-local", AssumeRolePolicyDocument=json.dumps({})
    )["Role"]["Arn"]
    lam = boto3.client("lambda", region_name=REGION)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# routed in-process by local/stack.py\n")
    function_names: dict[str, str] = {}
    api_events: list[tuple[str, str, str]] = []
    for logical_id, fn in template.functions.items():
        name = f"crisis-pager-{fn.folder.replace('_', '-')}"
        arn = lam.create_function(
            FunctionName=name, Runtime="python3.12", Role=role, Handler=fn.handler,
            Code={"ZipFile": buffer.getvalue()},
        )["FunctionArn"]
        refs[logical_id] = name
        refs[f"{logical_id}.Arn"] = arn
        function_names[name] = fn.folder
        api_events += [(method, path, fn.folder) for method, path in fn.api_events]

    spec = template.state_machine
    definition = spec.definition_path.read_text()
    for key, value in spec.substitutions.items():
        definition = definition.replace("${" + key + "}", sam.resolve(value, refs))
    sfn = boto3.client("stepfunctions", region_name=REGION)
    state_machine_arn = sfn.create_state_machine(
        name="crisis-pager-local-ladder", definition=definition, roleArn=role,
        type="STANDARD",
    )["stateMachineArn"]
    refs[spec.logical_id] = state_machine_arn
    refs[f"{spec.logical_id}.Arn"] = state_machine_arn
    return Resources(refs, secret_values, function_names, api_events, state_machine_arn, sfn)
