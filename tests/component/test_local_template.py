"""local.template against a small inline SAM template (the real one is read by the stack)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from local import template as tpl

SAM = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
  Retention:
    Type: Number
    Default: 90
  AlertEmail:
    Type: String
Globals:
  Function:
    Runtime: python3.12
    Handler: app.lambda_handler
    Environment:
      Variables:
        INCIDENTS_TABLE: !Ref IncidentsTable
        POWERTOOLS_SERVICE_NAME: crisis-pager
        POWERTOOLS_LOGGER_LOG_EVENT: "false"
Resources:
  IncidentsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
        - {AttributeName: phone, AttributeType: S}
        - {AttributeName: code_key, AttributeType: S}
      GlobalSecondaryIndexes:
        - IndexName: by_phone
          KeySchema:
            - {AttributeName: phone, KeyType: HASH}
            - {AttributeName: code_key, KeyType: RANGE}
          Projection: {ProjectionType: ALL}
          ContributorInsightsSpecification: {Enabled: true}
      SSESpecification:
        SSEEnabled: true
        SSEType: KMS
        KMSMasterKeyId: !Ref DataKey
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
  CliniciansTable:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: clinician_id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: clinician_id, AttributeType: S}]
  TwilioSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Sub "${AWS::StackName}/twilio"
  AlertsTopic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !Ref DataKey
  HotlineIntakeFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/hotline_intake/
      Environment:
        Variables:
          STATE_MACHINE_ARN: !Ref LadderStateMachine
          POWERTOOLS_SERVICE_NAME: hotline-intake
      Events:
        Open:
          Type: Api
          Properties: {Path: /v1/escalations, Method: post}
        Status:
          Type: Api
          Properties: {Path: "/v1/escalations/{incident_id}", Method: get}
        Nightly:
          Type: Schedule
          Properties: {Schedule: rate(1 day)}
  PageRungFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/page_rung
      Handler: app.handler
      Environment:
        Variables:
          TWILIO_SECRET_ARN: !Ref TwilioSecret
          ALERTS_TOPIC_ARN: !GetAtt AlertsTopic.TopicArn
  LadderStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: infra/statemachines/ladder.asl.json
      DefinitionSubstitutions:
        AdvanceFunctionArn: !GetAtt AdvanceFunction.Arn
        PageRungFunctionArn: !Sub "${PageRungFunction.Arn}"
"""

ASL = {
    "StartAt": "Advance",
    "States": {
        "Advance": {"Type": "Task", "Resource": "${AdvanceFunctionArn}", "Next": "Page"},
        "Page": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                 "Parameters": {"FunctionName": "${PageRungFunctionArn}"}, "End": True},
    },
}

REFS = {
    "IncidentsTable": "local-incidents",
    "LadderStateMachine": "arn:aws:states:us-east-1:123456789012:stateMachine:ladder",
    "TwilioSecret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:twilio",
    "AlertsTopic.TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts",
    "AdvanceFunction.Arn": "arn:aws:lambda:us-east-1:123456789012:function:advance",
    "PageRungFunction.Arn": "arn:aws:lambda:us-east-1:123456789012:function:page_rung",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "crisis-pager",
}


@pytest.fixture
def template(tmp_path: Path) -> tpl.Template:
    (tmp_path / "template.yaml").write_text(SAM)
    asl = tmp_path / "infra" / "statemachines" / "ladder.asl.json"
    asl.parent.mkdir(parents=True)
    asl.write_text(json.dumps(ASL, indent=2))
    return tpl.load(tmp_path / "template.yaml")


def test_tables_give_create_table_kwargs(template: tpl.Template) -> None:
    assert set(template.tables) == {"IncidentsTable", "CliniciansTable"}
    incidents = template.tables["IncidentsTable"]

    kwargs = incidents.create_table_kwargs("local-incidents")

    assert kwargs == {
        "TableName": "local-incidents",
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "phone", "AttributeType": "S"},
            {"AttributeName": "code_key", "AttributeType": "S"},
        ],
        "GlobalSecondaryIndexes": [{
            "IndexName": "by_phone",
            "KeySchema": [{"AttributeName": "phone", "KeyType": "HASH"},
                          {"AttributeName": "code_key", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
    }
    assert incidents.ttl_attribute == "expires_at"
    assert template.tables["CliniciansTable"].create_table_kwargs("c") == {
        "TableName": "c",
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "clinician_id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "clinician_id", "AttributeType": "S"}],
    }
    kwargs["KeySchema"].clear()  # callers get copies
    assert incidents.create_table_kwargs("x")["KeySchema"]


def test_create_table_kwargs_are_accepted_by_moto(template: tpl.Template) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        for logical_id, spec in template.tables.items():
            ddb.create_table(**spec.create_table_kwargs(logical_id))
        desc = ddb.describe_table(TableName="IncidentsTable")["Table"]
    assert desc["GlobalSecondaryIndexes"][0]["IndexName"] == "by_phone"


def test_functions_merge_globals_and_list_api_events(template: tpl.Template,
                                                     tmp_path: Path) -> None:
    intake = template.functions["HotlineIntakeFunction"]
    page = template.functions["PageRungFunction"]

    assert (intake.folder, page.folder) == ("hotline_intake", "page_rung")
    assert intake.code_dir == (tmp_path / "functions" / "hotline_intake").resolve()
    assert (intake.handler, page.handler) == ("app.lambda_handler", "app.handler")
    assert (page.handler_module, page.handler_function) == ("app", "handler")
    assert intake.api_events == [("POST", "/v1/escalations"),
                                 ("GET", "/v1/escalations/{incident_id}")]
    assert page.api_events == []
    assert intake.environment == {
        "INCIDENTS_TABLE": {"Ref": "IncidentsTable"},
        "POWERTOOLS_SERVICE_NAME": "hotline-intake",  # the function's value wins
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        "STATE_MACHINE_ARN": {"Ref": "LadderStateMachine"},
    }
    assert page.resolved_environment(REFS) == {
        "INCIDENTS_TABLE": "local-incidents",
        "POWERTOOLS_SERVICE_NAME": "crisis-pager",
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        "TWILIO_SECRET_ARN": REFS["TwilioSecret"],
        "ALERTS_TOPIC_ARN": REFS["AlertsTopic.TopicArn"],
    }
    assert template.function_by_folder("page_rung") is page


def test_state_machine_substitutions_render(template: tpl.Template) -> None:
    sm = template.state_machine

    assert sm.logical_id == "LadderStateMachine"
    assert sm.substitutions == {
        "AdvanceFunctionArn": {"Fn::GetAtt": ["AdvanceFunction", "Arn"]},
        "PageRungFunctionArn": {"Fn::Sub": "${PageRungFunction.Arn}"},
    }
    rendered = json.loads(sm.render(REFS))
    assert rendered["States"]["Advance"]["Resource"] == REFS["AdvanceFunction.Arn"]
    assert rendered["States"]["Page"]["Parameters"]["FunctionName"] == REFS["PageRungFunction.Arn"]


def test_state_machine_render_names_a_missing_substitution(template: tpl.Template) -> None:
    refs = {k: v for k, v in REFS.items() if k != "AdvanceFunction.Arn"}
    with pytest.raises(tpl.UnresolvedReferenceError, match="AdvanceFunction.Arn") as exc:
        template.state_machine.render(refs)
    assert exc.value.reference == "AdvanceFunction.Arn"
    assert "LadderStateMachine substitution AdvanceFunctionArn" in str(exc.value)


def test_secrets_topics_parameters(template: tpl.Template) -> None:
    assert list(template.secrets) == ["TwilioSecret"]
    assert tpl.resolve(template.secrets["TwilioSecret"].name, REFS) == "crisis-pager/twilio"
    assert list(template.topics) == ["AlertsTopic"]
    assert template.parameters == {"Stage": "dev", "Retention": "90", "AlertEmail": None}
    assert template.parameter_defaults() == {"Stage": "dev", "Retention": "90"}
    assert template.parameter_specs["Retention"]["Type"] == "Number"


def test_loader_does_not_touch_the_global_safe_loader(template: tpl.Template) -> None:
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.safe_load("a: !Ref B")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        (True, "true"),
        (30, "30"),
        ({"Ref": "IncidentsTable"}, "local-incidents"),
        ({"Ref": "AWS::Region"}, "us-east-1"),
        ({"Fn::GetAtt": ["AlertsTopic", "TopicArn"]}, REFS["AlertsTopic.TopicArn"]),
        ({"Fn::GetAtt": "AlertsTopic.TopicArn"}, REFS["AlertsTopic.TopicArn"]),
        ({"Fn::Sub": "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:x/${AWS::StackName}"},
         "arn:aws:logs:us-east-1:123456789012:x/crisis-pager"),
        ({"Fn::Sub": "${PageRungFunction.Arn}:live"}, REFS["PageRungFunction.Arn"] + ":live"),
        ({"Fn::Sub": ["https://${Host}/${!Literal}", {"Host": {"Ref": "IncidentsTable"}}]},
         "https://local-incidents/${Literal}"),
        ({"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "alerts"]]}, "crisis-pager-alerts"),
    ],
)
def test_resolve(value: object, expected: str) -> None:
    assert tpl.resolve(value, REFS) == expected


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        ({"Ref": "NoSuchTable"}, "NoSuchTable"),
        ({"Fn::GetAtt": ["AdvanceFunction", "Role"]}, "AdvanceFunction.Role"),
        ({"Fn::Sub": "arn:${AWS::Partition}:x"}, "AWS::Partition"),
        ({"Fn::Sub": ["${A}-${B}", {"A": "a"}]}, "B"),
    ],
)
def test_resolve_names_the_unresolved_reference(value: object, missing: str) -> None:
    with pytest.raises(tpl.UnresolvedReferenceError) as exc:
        tpl.resolve(value, REFS, context="SomeFunction environment X")
    assert exc.value.reference == missing
    assert repr(missing) in str(exc.value)
    assert str(exc.value).startswith("SomeFunction environment X: ")


def test_resolve_rejects_unsupported_intrinsics() -> None:
    with pytest.raises(tpl.TemplateError, match="unsupported intrinsic"):
        tpl.resolve({"Fn::If": ["IsProd", "a", "b"]}, REFS)


def test_short_tags_parse_to_long_form() -> None:
    text = (
        "Resources:\n"
        "  T:\n"
        "    Type: AWS::SNS::Topic\n"
        "    Properties:\n"
        "      TopicName: !Join ['-', [!Ref AWS::StackName, !Select [0, !Split [',', 'a,b']]]]\n"
        "      Other: !If [IsProd, !Base64 x, !Ref AWS::NoValue]\n"
        "      More: [!GetAZs '', !ImportValue shared, !FindInMap [M, k, v],\n"
        "             !Condition IsProd, !Not [!Equals [a, b]]]\n"
    )
    props = tpl.loads(text).topics["T"].properties

    assert props["TopicName"] == {"Fn::Join": ["-", [
        {"Ref": "AWS::StackName"},
        {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]},
    ]]}
    assert props["Other"] == {"Fn::If": ["IsProd", {"Fn::Base64": "x"}, {"Ref": "AWS::NoValue"}]}
    assert props["More"] == [
        {"Fn::GetAZs": ""}, {"Fn::ImportValue": "shared"}, {"Fn::FindInMap": ["M", "k", "v"]},
        {"Condition": "IsProd"}, {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]},
    ]


def test_bad_shapes_are_reported() -> None:
    with pytest.raises(tpl.TemplateError, match="no Resources"):
        tpl.loads("Foo: 1\n")
    with pytest.raises(tpl.TemplateError, match="KeySchema must be literal"):
        tpl.loads(
            "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n"
            "      KeySchema: !Ref K\n      AttributeDefinitions: []\n"
        )
    with pytest.raises(tpl.TemplateError, match="CodeUri"):
        tpl.loads("Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
                  "    Properties: {Handler: app.h}\n")
    with pytest.raises(tpl.TemplateError, match="exactly one"):
        _ = tpl.loads("Resources: {}\n").state_machine


STREAMS = """\
Resources:
  ProgramsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: program_id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: program_id, AttributeType: S}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  GuardFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/rota_guard/
      Handler: app.lambda_handler
      Events:
        Edited:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt ProgramsTable.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 25
            MaximumBatchingWindowInSeconds: 1
            MaximumRetryAttempts: 3
            BisectBatchOnFunctionError: true
            FunctionResponseTypes: [ReportBatchItemFailures]
        Plain:
          Type: DynamoDB
          Properties: {Stream: !GetAtt [ProgramsTable, StreamArn], StartingPosition: LATEST}
        Daily:
          Type: Schedule
          Properties: {Schedule: "cron(0 15 * * ? *)"}
"""


def test_streams_and_schedules_are_read() -> None:
    template = tpl.loads(STREAMS)
    table = template.tables["ProgramsTable"]
    assert table.stream_view_type == "NEW_AND_OLD_IMAGES"
    assert table.create_table_kwargs("p")["StreamSpecification"] == {
        "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    guard = template.functions["GuardFunction"]
    assert guard.stream_events == [
        tpl.StreamEventSpec("Edited", "ProgramsTable", "TRIM_HORIZON", 25, 1.0, 3, True,
                            ("ReportBatchItemFailures",)),
        tpl.StreamEventSpec("Plain", "ProgramsTable"),  # Lambda's defaults
    ]
    assert guard.stream_events[1].batch_size == 100 and guard.stream_events[1].max_retries == -1
    assert guard.schedule_events == [tpl.ScheduleEventSpec("Daily", "cron(0 15 * * ? *)")]
    assert guard.api_events == []


def test_stream_kwargs_are_accepted_by_moto() -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        spec = tpl.loads(STREAMS).tables["ProgramsTable"]
        created = ddb.create_table(**spec.create_table_kwargs("p"))["TableDescription"]
    assert created["LatestStreamArn"].startswith("arn:aws:dynamodb:us-east-1:")


def test_a_stream_event_must_name_a_tables_stream() -> None:
    bad = STREAMS.replace("!GetAtt ProgramsTable.StreamArn", "arn:aws:dynamodb:x")
    with pytest.raises(tpl.TemplateError, match="GuardFunction: event Edited needs Stream"):
        tpl.loads(bad)
    with pytest.raises(tpl.TemplateError, match="literal numbers"):
        tpl.loads(STREAMS.replace("BatchSize: 25", "BatchSize: !Ref Size"))
