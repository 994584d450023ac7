"""template.yaml against the contract (docs/architecture.md) and the code: offline, no AWS.

The checks live in tools/check_template.py (also run by `make template-check`); these tests
run them, assert the contract's facts directly, and show each check catches a bad template.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from local import template as local_template

REPO = Path(__file__).resolve().parents[2]
DATA_KEY_ARN = {"Fn::GetAtt": ["DataKey", "Arn"]}
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"


def _load_checker() -> ModuleType:
    path = REPO / "tools" / "check_template.py"
    spec = importlib.util.spec_from_file_location("check_template", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ct = _load_checker()

FUNCTIONS = {  # logical id -> folder under functions/
    "HotlineIntakeFunction": "hotline_intake",
    "SmsInboundFunction": "sms_inbound",
    "TwilioStatusFunction": "twilio_status",
    "TwilioVoiceFunction": "twilio_voice",
    "AdvanceFunction": "advance",
    "PageRungFunction": "page_rung",
    "EmergencyReferralFunction": "emergency_referral",
    "HotlineCallbackFunction": "hotline_callback",
    "RotaGuardFunction": "rota_guard",
    "CalendarFeedFunction": "calendar_feed",
    "ClinicianBriefFunction": "clinician_brief",
    "TimelineGuardFunction": "timeline_guard",
}
TABLES = {  # logical id -> (env var, [(attribute, key type)])
    "IncidentsTable": ("INCIDENTS_TABLE", [("pk", "HASH"), ("sk", "RANGE")]),
    "TimelineTable": ("TIMELINE_TABLE", [("incident_id", "HASH"), ("seq", "RANGE")]),
    "ProgramsTable": ("PROGRAMS_TABLE", [("program_id", "HASH"), ("key", "RANGE")]),
    "CliniciansTable": ("CLINICIANS_TABLE", [("clinician_id", "HASH")]),
    "ParticipantsTable": ("PARTICIPANTS_TABLE", [("pk", "HASH"), ("sk", "RANGE")]),
}
# Functions that send or call need the URL Twilio reaches us at (status callbacks, TwiML).
TWILIO_ENV = {"TWILIO_SECRET_ARN", "PUBLIC_BASE_URL", "PUBLIC_BASE_URL_PARAMETER",
              "ALERTS_TOPIC_ARN"}
EXTRA_ENV = {  # the contract's Environment table, beyond Globals
    "HotlineIntakeFunction": {
        "STATE_MACHINE_ARN", "HOTLINE_SECRET_ARN", "CALLBACK_ALLOW_HTTP_LOOPBACK"
    },
    # Beyond the contract: R 417 on a high or imminent incident starts its follow-up.
    "SmsInboundFunction": TWILIO_ENV | {"STATE_MACHINE_ARN"},
    "TwilioStatusFunction": TWILIO_ENV,
    # Key 1 after the ladder ended starts the execution that tells the hotline.
    "TwilioVoiceFunction": {"TWILIO_SECRET_ARN", "PUBLIC_BASE_URL", "STATE_MACHINE_ARN"},
    "AdvanceFunction": {"ALERTS_TOPIC_ARN"},
    "PageRungFunction": TWILIO_ENV,
    "EmergencyReferralFunction": {"ALERTS_TOPIC_ARN", "TWILIO_SECRET_ARN"},  # support texts
    "HotlineCallbackFunction": {"HOTLINE_SECRET_ARN", "CALLBACK_ALLOW_HTTP_LOOPBACK"},
    "RotaGuardFunction": {"TWILIO_SECRET_ARN", "ALERTS_TOPIC_ARN"},
    "CalendarFeedFunction": {"CALENDAR_SECRET_ARN"},
    "ClinicianBriefFunction": set(),
    "TimelineGuardFunction": {"ALERTS_TOPIC_ARN"},
}
INCIDENTS_READ_WRITE = {
    ("IncidentsTable", f"dynamodb:{a}") for a in ("GetItem", "PutItem", "UpdateItem", "Query")
}
# What every function that pages, or hears from Twilio about a page, needs.
PAGING = {
    *INCIDENTS_READ_WRITE,
    ("TimelineTable", "dynamodb:PutItem"),
    ("CliniciansTable", "dynamodb:GetItem"),
    ("ProgramsTable", "dynamodb:GetItem"),
    ("LadderStateMachine", "states:SendTaskSuccess"),
    ("TwilioSecret", "secretsmanager:GetSecretValue"),
    ("DataKey", "kms:Decrypt"),
    ("DataKey", "kms:GenerateDataKey"),
}
# The least a function needs to work: (resource logical id, action) pairs it must be granted.
REQUIRED_GRANTS: dict[str, set[tuple[str, str]]] = {
    "HotlineIntakeFunction": {
        *INCIDENTS_READ_WRITE,
        ("TimelineTable", "dynamodb:PutItem"),
        ("TimelineTable", "dynamodb:Query"),  # GET .../timeline
        ("ProgramsTable", "dynamodb:GetItem"),
        ("ProgramsTable", "dynamodb:Query"),
        ("LadderStateMachine", "states:StartExecution"),
        ("LadderStateMachine", "states:DescribeExecution"),
        ("HotlineSecret", "secretsmanager:GetSecretValue"),
        ("DataKey", "kms:Decrypt"),
        ("DataKey", "kms:GenerateDataKey"),
    },
    "SmsInboundFunction": {
        *PAGING,
        ("IncidentsTable", "dynamodb:BatchGetItem"),  # the phone's open codes
        ("CliniciansTable", "dynamodb:Scan"),  # STOP: the clinicians with that phone
        ("ProgramsTable", "dynamodb:Scan"),  # ... and the programs naming them
        ("AlertsTopic", "sns:Publish"),
        ("PublicBaseUrlParameter", "ssm:GetParameter"),
        # R 417: the follow-up's timer; A 417 after the ladder ended: its callback.
        ("LadderStateMachine", "states:StartExecution"),
    },
    "TwilioStatusFunction": {
        *PAGING,
        ("CliniciansTable", "dynamodb:Scan"),  # error 21610: an opt-out, as for STOP
        ("ProgramsTable", "dynamodb:Scan"),
        ("AlertsTopic", "sns:Publish"),
        ("PublicBaseUrlParameter", "ssm:GetParameter"),  # the fallback call's URLs
    },
    "TwilioVoiceFunction": {
        *PAGING,
        ("LadderStateMachine", "states:StartExecution"),  # key 1 after the ladder ended
    },
    "AdvanceFunction": {
        *INCIDENTS_READ_WRITE,
        ("TimelineTable", "dynamodb:PutItem"),
        ("TimelineTable", "dynamodb:Query"),
        ("ProgramsTable", "dynamodb:GetItem"),
        ("ProgramsTable", "dynamodb:Query"),
        ("CliniciansTable", "dynamodb:GetItem"),
        ("CliniciansTable", "dynamodb:BatchGetItem"),
        ("AlertsTopic", "sns:Publish"),
        ("DataKey", "kms:Decrypt"),
        ("DataKey", "kms:GenerateDataKey"),
    },
    "PageRungFunction": {
        *PAGING,
        ("IncidentsTable", "dynamodb:BatchGetItem"),  # the phone's codes in use
        ("CliniciansTable", "dynamodb:Scan"),
        ("ProgramsTable", "dynamodb:Scan"),
        ("AlertsTopic", "sns:Publish"),
        ("PublicBaseUrlParameter", "ssm:GetParameter"),
    },
    "EmergencyReferralFunction": {
        ("IncidentsTable", "dynamodb:GetItem"),
        ("IncidentsTable", "dynamodb:UpdateItem"),
        ("TimelineTable", "dynamodb:PutItem"),
        ("ProgramsTable", "dynamodb:GetItem"),
        ("ParticipantsTable", "dynamodb:Query"),  # the current plan version (read only)
        ("AlertsTopic", "sns:Publish"),
        ("TwilioSecret", "secretsmanager:GetSecretValue"),  # consenting support persons
        ("DataKey", "kms:Decrypt"),
        ("DataKey", "kms:GenerateDataKey"),
    },
    "HotlineCallbackFunction": {
        ("IncidentsTable", "dynamodb:GetItem"),
        ("TimelineTable", "dynamodb:PutItem"),
        ("TimelineTable", "dynamodb:Query"),
        ("ProgramsTable", "dynamodb:GetItem"),
        ("ParticipantsTable", "dynamodb:PutItem"),  # disclosure#<participant> items only
        ("HotlineSecret", "secretsmanager:GetSecretValue"),
        ("DataKey", "kms:Decrypt"),
        ("DataKey", "kms:GenerateDataKey"),
    },
    "RotaGuardFunction": {
        ("ProgramsTable", "dynamodb:GetItem"),
        ("ProgramsTable", "dynamodb:Query"),
        ("ProgramsTable", "dynamodb:Scan"),  # every program; programs naming a clinician
        ("CliniciansTable", "dynamodb:GetItem"),
        ("AlertsTopic", "sns:Publish"),
        ("TwilioSecret", "secretsmanager:GetSecretValue"),
        ("DataKey", "kms:Decrypt"),
        ("DataKey", "kms:GenerateDataKey"),
    },
    "CalendarFeedFunction": {
        ("ProgramsTable", "dynamodb:GetItem"),
        ("ProgramsTable", "dynamodb:Query"),
        ("CliniciansTable", "dynamodb:GetItem"),
        ("CalendarSecret", "secretsmanager:GetSecretValue"),
        ("DataKey", "kms:Decrypt"),
    },
    "ClinicianBriefFunction": {
        ("IncidentsTable", "dynamodb:GetItem"),  # the incident and link#<hash> items only
        ("IncidentsTable", "dynamodb:UpdateItem"),  # a follow-up attempt, or done
        ("TimelineTable", "dynamodb:PutItem"),  # every use of a link
        ("ProgramsTable", "dynamodb:GetItem"),
        ("CliniciansTable", "dynamodb:GetItem"),
        ("ParticipantsTable", "dynamodb:Query"),  # the participant's current plan (read only)
        ("LadderStateMachine", "states:SendTaskSuccess"),  # "done" wakes an overdue follow-up
        ("DataKey", "kms:Decrypt"),
        ("DataKey", "kms:GenerateDataKey"),
    },
    "TimelineGuardFunction": {  # the stream's records come through SAM's stream policy
        ("AlertsTopic", "sns:Publish"),
        ("DataKey", "kms:Decrypt"),
        ("DataKey", "kms:GenerateDataKey"),
    },
}
# What a function may touch beyond REQUIRED_GRANTS (least privilege), where it is pinned.
ALLOWED_GRANTS: dict[str, set[tuple[str, str]]] = {
    "RotaGuardFunction": set(),
    "CalendarFeedFunction": set(),
    "TimelineGuardFunction": set(),  # no table at all: it reads only its stream records
    "ClinicianBriefFunction": {("DataKey", "kms:Encrypt"), ("DataKey", "kms:DescribeKey")},
}


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return ct.load_template()


@pytest.fixture(scope="module")
def cfn(sam: dict[str, Any]) -> dict[str, Any]:
    return ct.sam_transform(sam)


def _fresh(template: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(template)


def _managed_statements(cfn: dict[str, Any], role: str) -> Iterator[dict[str, Any]]:
    """Allow statements of the template's own managed policies attached to the role."""
    for arn in cfn["Resources"][role]["Properties"].get("ManagedPolicyArns", []):
        policy = cfn["Resources"].get(arn.get("Ref", "")) if isinstance(arn, dict) else None
        if policy is not None and policy["Type"] == MANAGED_POLICY:
            statements = policy["Properties"]["PolicyDocument"]["Statement"]
            yield from (s for s in ct._as_list(statements) if s.get("Effect") == "Allow")


def _grants(cfn: dict[str, Any], function: str) -> set[tuple[str, str]]:
    """(resource logical id, action) pairs granted by the function's role: its inline
    policies (SAM policy templates included) and the shared managed policies it has."""
    role = cfn["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    inline = (stmt for name, stmt in ct.role_statements(cfn) if name == role)
    pairs: set[tuple[str, str]] = set()
    for stmt in (*inline, *_managed_statements(cfn, role)):
        for resource in ct._as_list(stmt["Resource"]):
            targets = [r for r in cfn["Resources"] if ct._refers_to(resource, r)]
            if "${AWS::StackName}-ladder" in str(resource):  # built from the machine's name
                targets.append("LadderStateMachine")
            if "${AWS::StackName}/public-base-url" in str(resource):  # built from its name
                targets.append("PublicBaseUrlParameter")
            pairs |= {(t, a) for t in targets for a in ct._actions(stmt)}
    return pairs


# ---------------------------------------------------------------- the transform


def test_offline_transform_produces_the_expected_resources(cfn: dict[str, Any]) -> None:
    lambdas = ct.resources(cfn, "AWS::Lambda::Function")
    assert set(lambdas) == set(FUNCTIONS)
    for name, res in lambdas.items():
        props = res["Properties"]
        assert props["Handler"] == "app.lambda_handler", name
        assert props["Runtime"] == "python3.12", name
        assert props["Architectures"] == ["x86_64"], name
        assert props["TracingConfig"] == {"Mode": "Active"}, name
        assert len(props["Layers"]) == 2, name
    assert set(ct.resources(cfn, "AWS::StepFunctions::StateMachine")) == {"LadderStateMachine"}
    assert set(ct.resources(cfn, "AWS::DynamoDB::Table")) == set(TABLES)
    assert set(ct.resources(cfn, "AWS::ApiGateway::RestApi")) == {"Api"}


def test_the_whole_checker_passes() -> None:
    report = ct.run_checks()
    assert {check: problems for check, problems in report.items() if problems} == {}
    assert "statelint (ASL, substitutions filled)" in report, "make test runs statelint"


def test_every_function_folder_has_exactly_one_function(sam: dict[str, Any]) -> None:
    functions = ct.resources(sam, ct.SERVERLESS_FUNCTION)
    assert {n: r["Properties"]["CodeUri"] for n, r in functions.items()} == {
        n: f"functions/{folder}/" for n, folder in FUNCTIONS.items()
    }
    assert ct.function_folders() == set(FUNCTIONS.values())
    assert ct.check_functions(sam) == []

    twice = _fresh(sam)
    twice["Resources"]["Copy"] = copy.deepcopy(functions["AdvanceFunction"])
    assert any("functions/advance/" in p for p in ct.check_functions(twice))
    missing = _fresh(sam)
    del missing["Resources"]["PageRungFunction"]
    assert any("functions/page_rung/" in p for p in ct.check_functions(missing))


def test_api_routes(sam: dict[str, Any]) -> None:
    routes = {
        (name, e["Properties"]["Method"].upper(), e["Properties"]["Path"])
        for name, res in ct.resources(sam, ct.SERVERLESS_FUNCTION).items()
        for e in res["Properties"].get("Events", {}).values()
        if e["Type"] == "Api" and e["Properties"]["RestApiId"] == {"Ref": "Api"}
    }
    assert routes == {
        ("HotlineIntakeFunction", "POST", "/v1/escalations"),
        ("HotlineIntakeFunction", "GET", "/v1/escalations/{incident_id}"),
        ("HotlineIntakeFunction", "GET", "/v1/escalations/{incident_id}/timeline"),
        ("SmsInboundFunction", "POST", "/twilio/sms"),
        ("TwilioStatusFunction", "POST", "/twilio/status/{incident_id}/{position}"),
        ("TwilioVoiceFunction", "POST", "/twilio/voice/{incident_id}/{position}"),
        ("TwilioVoiceFunction", "POST", "/twilio/voice/{incident_id}/{position}/key"),
        ("CalendarFeedFunction", "GET", "/v1/calendars/{program_id}/rotas/{feed}"),
        ("CalendarFeedFunction", "GET", "/v1/calendars/{program_id}/clinicians/{feed}"),
        ("ClinicianBriefFunction", "GET", "/brief/{incident_id}/{token}"),
        ("ClinicianBriefFunction", "POST", "/brief/{incident_id}/{token}"),
    }


def _api_routes(sam: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> the function it reaches."""
    return {
        (e["Properties"]["Method"].upper(), e["Properties"]["Path"]): name
        for name, res in ct.resources(sam, ct.SERVERLESS_FUNCTION).items()
        for e in res["Properties"].get("Events", {}).values() if e["Type"] == "Api"
    }


def _throttles(sam: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int]]:
    """(HttpMethod, route) -> (rate, burst) of the API's MethodSettings: "/~1v1~1x" (a
    slash, then the route with each "/" written "~1") is /v1/x; "/*" is every route."""
    settings = sam["Resources"]["Api"]["Properties"]["MethodSettings"]

    def route(path: str) -> str:
        return path if path == "/*" else path.removeprefix("/").replace("~1", "/")

    return {(m["HttpMethod"], route(m["ResourcePath"])):
            (m["ThrottlingRateLimit"], m["ThrottlingBurstLimit"]) for m in settings}


def test_intake_and_twilio_webhooks_have_throttles_of_their_own(sam: dict[str, Any]) -> None:
    """A flood of the brief links or calendar feeds (the "/*" default bucket) must never
    429 a crisis coming in or a clinician's reply: each of those routes has its own limit."""
    throttles = _throttles(sam)
    default = throttles.pop(("*", "/*"))
    own = {"HotlineIntakeFunction", "SmsInboundFunction", "TwilioStatusFunction",
           "TwilioVoiceFunction"}
    routes = _api_routes(sam)
    assert set(throttles) == {route for route, fn in routes.items() if fn in own}
    for route, (rate, burst) in throttles.items():
        assert rate >= default[0] and burst >= default[1] and burst >= rate, route
    assert throttles[("POST", "/v1/escalations")] >= (50, 100), "at least what intake had"
    assert throttles[("POST", "/twilio/sms")] >= (50, 100)
    for setting in sam["Resources"]["Api"]["Properties"]["MethodSettings"]:
        assert setting["DataTraceEnabled"] is False, "request bodies carry phone numbers"


def test_a_waf_web_acl_limits_each_source_ip_on_the_stage(sam: dict[str, Any],
                                                            cfn: dict[str, Any]) -> None:
    params, res = sam["Parameters"], sam["Resources"]
    assert params["EnableWaf"]["Default"] == "true"
    assert sam["Conditions"]["WafEnabled"] == {"Fn::Equals": [{"Ref": "EnableWaf"}, "true"]}
    acl, association = res["ApiWebAcl"], res["ApiWebAclAssociation"]
    assert acl["Type"] == "AWS::WAFv2::WebACL" and acl["Condition"] == "WafEnabled"
    assert association["Type"] == "AWS::WAFv2::WebACLAssociation"
    assert association["Condition"] == "WafEnabled"
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL" and props["DefaultAction"] == {"Allow": {}}
    rules = {r["Name"]: r for r in props["Rules"]}
    limits = {name: r["Statement"]["RateBasedStatement"] for name, r in rules.items()}
    assert {n: (s["AggregateKeyType"], s["Limit"]) for n, s in limits.items()} == {
        "links-and-calendars-per-ip": ("IP", {"Ref": "WafLinkRateLimitPerIp"}),
        "all-paths-per-ip": ("IP", {"Ref": "WafRateLimitPerIp"}),
    }
    assert all(r["Action"] == {"Block": {}} for r in rules.values())
    scoped = limits["links-and-calendars-per-ip"]["ScopeDownStatement"]["OrStatement"]
    assert {s["ByteMatchStatement"]["SearchString"] for s in scoped["Statements"]} == {
        "/brief/", "/v1/calendars/"}
    assert params["WafLinkRateLimitPerIp"]["Default"] < params["WafRateLimitPerIp"]["Default"]
    # No sampled requests anywhere: a brief link's URL opens a safety plan for 2 hours.
    visibility = [props["VisibilityConfig"], *(r["VisibilityConfig"] for r in rules.values())]
    assert all(v["SampledRequestsEnabled"] is False for v in visibility)

    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": ["ApiWebAcl", "Arn"]}
    (stage,) = ct.resources(cfn, "AWS::ApiGateway::Stage")
    arn = cfn["Resources"]["ApiWebAclAssociation"]["Properties"]["ResourceArn"]["Fn::Sub"]
    assert arn.endswith(f"::/restapis/${{Api}}/stages/${{{stage}}}"), "the API's own stage"
    assert cfn["Resources"]["ApiWebAcl"]["Condition"] == "WafEnabled"


# ---------------------------------------------------------------- tables


def _key_schema(table: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in table["Properties"]["KeySchema"]]


def test_table_keys_match_the_contract(sam: dict[str, Any]) -> None:
    tables = ct.resources(sam, "AWS::DynamoDB::Table")
    for name, (_, keys) in TABLES.items():
        props = tables[name]["Properties"]
        assert _key_schema(tables[name]) == keys, name
        types = {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]}
        assert all(types[attr] == "S" for attr, _ in keys), name
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["SSESpecification"] == {
            "SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": DATA_KEY_ARN
        }, name
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert tables[name]["DeletionPolicy"] == tables[name]["UpdateReplacePolicy"] == "Retain"
    incidents = tables["IncidentsTable"]["Properties"]
    (gsi,) = incidents["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "by_phone"
    assert [(k["AttributeName"], k["KeyType"]) for k in gsi["KeySchema"]] == [
        ("phone", "HASH"), ("code_key", "RANGE")
    ]
    assert gsi["Projection"] == {"ProjectionType": "ALL"}
    assert incidents["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    for name in ("ProgramsTable", "CliniciansTable"):
        stream = tables[name]["Properties"]["StreamSpecification"]
        assert stream == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    env = sam["Globals"]["Function"]["Environment"]["Variables"]
    assert {var: env[var] for var, _ in TABLES.values()} == {
        var: {"Ref": name} for name, (var, _) in TABLES.items()
    }


MODELS = {  # model class -> (table logical id, env var, Settings field)
    "IncidentItem": ("IncidentsTable", "INCIDENTS_TABLE", "incidents_table"),
    "PageItem": ("IncidentsTable", "INCIDENTS_TABLE", "incidents_table"),
    "CodeClaimItem": ("IncidentsTable", "INCIDENTS_TABLE", "incidents_table"),
    "TimelineEntry": ("TimelineTable", "TIMELINE_TABLE", "timeline_table"),
    "ProgramItem": ("ProgramsTable", "PROGRAMS_TABLE", "programs_table"),
    "RotaItem": ("ProgramsTable", "PROGRAMS_TABLE", "programs_table"),
    "ClinicianItem": ("CliniciansTable", "CLINICIANS_TABLE", "clinicians_table"),
}


def test_table_keys_match_models(sam: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pynamodb")
    from crisis_pager.adapters.dynamo import admin_items, items, timeline
    from crisis_pager.adapters.dynamo import tables as bound

    config = pytest.importorskip("crisis_pager.config")
    tables = ct.resources(sam, "AWS::DynamoDB::Table")
    env = sam["Globals"]["Function"]["Environment"]["Variables"]
    loaded = config.settings()
    bound.bind(loaded)
    models = {**vars(items), **vars(timeline), **vars(admin_items)}

    # Each Settings field reads the env var the template sets to that table's name.
    for var, field in {(var, field) for _, var, field in MODELS.values()}:
        monkeypatch.setenv(var, f"probe-{var}")
        assert getattr(config.settings.__wrapped__(), field) == f"probe-{var}", var

    for model_name, (table, var, field) in MODELS.items():
        model = models[model_name]
        assert env[var] == {"Ref": table}, model_name
        assert model.Meta.table_name == getattr(loaded, field), model_name
        schema = model._get_schema()
        keys = {(k["AttributeName"], k["KeyType"]) for k in schema["key_schema"]}
        assert keys == set(_key_schema(tables[table])), model_name
        types = {d["AttributeName"]: d["AttributeType"] for d in schema["attribute_definitions"]}
        template_types = {
            d["AttributeName"]: d["AttributeType"]
            for d in tables[table]["Properties"]["AttributeDefinitions"]
        }
        assert {a: template_types[a] for a in types} == types, model_name
        template_gsis = {
            g["IndexName"]: {(k["AttributeName"], k["KeyType"]) for k in g["KeySchema"]}
            for g in tables[table]["Properties"].get("GlobalSecondaryIndexes", [])
        }
        for gsi in schema["global_secondary_indexes"]:
            model_keys = {(k["AttributeName"], k["KeyType"]) for k in gsi["key_schema"]}
            assert template_gsis.get(gsi["index_name"]) == model_keys, model_name
    assert items.PageItem._get_schema()["global_secondary_indexes"], "PageItem uses by_phone"

    ttl_attrs = [
        name for name, attr in items.CodeClaimItem.get_attributes().items()
        if type(attr).__name__ == "TTLAttribute"
    ]
    ttl = tables["IncidentsTable"]["Properties"]["TimeToLiveSpecification"]["AttributeName"]
    assert ttl_attrs == [ttl]


# ---------------------------------------------------------------- IAM


def test_timeline_is_append_only(cfn: dict[str, Any]) -> None:
    assert ct.check_timeline_append_only(cfn) == []
    for function in FUNCTIONS:
        granted = {a for r, a in _grants(cfn, function) if r == "TimelineTable"}
        assert granted <= {"dynamodb:PutItem", "dynamodb:Query", "dynamodb:GetItem"}, function

    bad = _fresh(cfn)
    role = bad["Resources"]["AdvanceFunctionRole"]["Properties"]["Policies"][0]
    role["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": ["dynamodb:UpdateItem"],
         "Resource": {"Fn::GetAtt": ["TimelineTable", "Arn"]}}
    )
    assert ct.check_timeline_append_only(bad) == [
        "AdvanceFunctionRole: ['dynamodb:UpdateItem'] on TimelineTable (append-only)"
    ]


def test_no_dynamodb_wildcards(cfn: dict[str, Any]) -> None:
    assert ct.check_no_dynamodb_wildcards(cfn) == []
    for _, stmt in ct.role_statements(cfn):
        actions = ct._actions(stmt)
        assert "dynamodb:*" not in actions and "*" not in actions
        if any(a.startswith("dynamodb:") for a in actions):
            assert "*" not in ct._as_list(stmt["Resource"])

    bad = _fresh(cfn)
    statements = bad["Resources"]["PageRungFunctionRole"]["Properties"]["Policies"][0][
        "PolicyDocument"]["Statement"]
    statements.append({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"})
    statements.append({"Effect": "Allow", "Action": "dynamodb:*",
                       "Resource": {"Fn::GetAtt": ["IncidentsTable", "Arn"]}})
    assert len(ct.check_no_dynamodb_wildcards(bad)) == 2


def test_shared_policies_are_shared_and_outside_what_the_checker_must_see(
        cfn: dict[str, Any]) -> None:
    """tools/check_template.py checks the roles' inline policies (the append-only timeline,
    no DynamoDB wildcards); the template's shared managed policies are not inline, so they
    hold no DynamoDB action and no wildcard, and each serves two functions at least."""
    policies = ct.resources(cfn, MANAGED_POLICY)
    assert set(policies) == {"DataKeyUsePolicy", "DataKeyReadAndPublishPolicy",
                             "WakeTheLadderPolicy", "PublicBaseUrlReadPolicy"}
    attached: dict[str, set[str]] = {name: set() for name in policies}
    for role, res in ct.resources(cfn, "AWS::IAM::Role").items():
        for arn in res["Properties"].get("ManagedPolicyArns", []):
            if isinstance(arn, dict) and arn.get("Ref") in attached:
                attached[arn["Ref"]].add(role)
    for name, policy in policies.items():
        for stmt in ct._as_list(policy["Properties"]["PolicyDocument"]["Statement"]):
            assert stmt["Effect"] == "Allow", name
            assert not {a for a in ct._actions(stmt) if a.startswith("dynamodb:") or "*" in a}
            assert "*" not in ct._as_list(stmt["Resource"]), name
        assert len(attached[name]) >= 2, name


def test_no_function_is_granted_anything_on_every_resource(cfn: dict[str, Any]) -> None:
    """Each statement a function's role has (inline, SAM policy template or shared) names
    its resources; only AWS's managed policies (logs, X-Ray) are broader."""
    for function in FUNCTIONS:
        role = cfn["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
        inline = [stmt for name, stmt in ct.role_statements(cfn) if name == role]
        for stmt in (*inline, *_managed_statements(cfn, role)):
            assert "*" not in ct._as_list(stmt["Resource"]), (function, stmt)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_function_has_what_it_needs(cfn: dict[str, Any], function: str) -> None:
    missing = REQUIRED_GRANTS[function] - _grants(cfn, function)
    assert missing == set()
    if function in ALLOWED_GRANTS:
        extra = _grants(cfn, function) - REQUIRED_GRANTS[function] - ALLOWED_GRANTS[function]
        assert extra == set(), "least privilege"


def test_the_rota_guard_reads_both_streams_and_runs_daily(sam: dict[str, Any],
                                                          cfn: dict[str, Any]) -> None:
    events = sam["Resources"]["RotaGuardFunction"]["Properties"]["Events"]
    streams = {e["Properties"]["Stream"]["Fn::GetAtt"][0]: e["Properties"]
               for e in events.values() if e["Type"] == "DynamoDB"}
    assert set(streams) == {"ProgramsTable", "CliniciansTable"}
    for table, props in streams.items():
        assert props["Stream"] == {"Fn::GetAtt": [table, "StreamArn"]}
        assert {k: v for k, v in props.items() if k != "Stream"} == {
            "StartingPosition": "LATEST", "BatchSize": 25, "MaximumBatchingWindowInSeconds": 1,
            "MaximumRetryAttempts": 3, "BisectBatchOnFunctionError": True}, table
    (schedule,) = [e for e in events.values() if e["Type"] == "Schedule"]
    assert schedule["Properties"]["Schedule"] == "cron(0 15 * * ? *)"

    mappings = ct.resources(cfn, "AWS::Lambda::EventSourceMapping")
    assert {m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0] for m in mappings.values()
            if m["Properties"]["FunctionName"] == {"Ref": "RotaGuardFunction"}} == {
        "ProgramsTable", "CliniciansTable"}
    (rule,) = ct.resources(cfn, "AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "cron(0 15 * * ? *)"
    log_group = sam["Resources"]["RotaGuardLogGroup"]["Properties"]
    assert log_group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${RotaGuardFunction}"}


def test_the_timeline_guard_reads_the_timeline_stream_and_its_tampering_is_alarmed(
        sam: dict[str, Any], cfn: dict[str, Any]) -> None:
    """PutItem can overwrite an entry: every change reaches the guard through the table's
    stream, and TimelineTampered >= 1 in one minute notifies the alerts topic."""
    res = sam["Resources"]
    assert res["TimelineTable"]["Properties"]["StreamSpecification"] == {
        "StreamViewType": "OLD_IMAGE"}
    (event,) = res["TimelineGuardFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "DynamoDB"
    assert event["Properties"]["Stream"] == {"Fn::GetAtt": ["TimelineTable", "StreamArn"]}
    mappings = [m["Properties"] for m in ct.resources(cfn, "AWS::Lambda::EventSourceMapping")
                .values() if m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0] == "TimelineTable"]
    assert [m["FunctionName"] for m in mappings] == [{"Ref": "TimelineGuardFunction"}]
    alarm = res["TimelineTamperedAlarm"]["Properties"]
    assert {k: alarm[k] for k in ("Namespace", "MetricName", "Statistic", "Period",
                                  "EvaluationPeriods", "Threshold", "ComparisonOperator",
                                  "AlarmActions")} == {
        "Namespace": "CrisisPager", "MetricName": "TimelineTampered", "Statistic": "Sum",
        "Period": 60, "EvaluationPeriods": 1, "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "AlarmActions": [{"Ref": "AlertsTopic"}]}
    log_group = res["TimelineGuardLogGroup"]["Properties"]
    assert log_group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${TimelineGuardFunction}"}


def test_state_machine_invokes_exactly_the_four_task_functions(sam: dict[str, Any]) -> None:
    machine = sam["Resources"]["LadderStateMachine"]["Properties"]
    tasks = {"AdvanceFunction", "PageRungFunction", "EmergencyReferralFunction",
             "HotlineCallbackFunction"}
    assert machine["Type"] == "STANDARD"
    assert machine["DefinitionUri"] == "infra/statemachines/ladder.asl.json"
    assert machine["DefinitionSubstitutions"] == {
        f"{fn}Arn": {"Fn::GetAtt": [fn, "Arn"]} for fn in tasks
    }
    invoked = {p["LambdaInvokePolicy"]["FunctionName"]["Ref"] for p in machine["Policies"]}
    assert invoked == tasks


def test_the_route_choice_branches_on_every_ladder_action_but_exhausted() -> None:
    """service.ladder.Action is what advance answers; the state machine's Route choice must
    have a branch for each (exhausted takes the default, the end), and no other."""
    from typing import get_args

    from crisis_pager.service.ladder import Action

    asl = json.loads((REPO / "infra" / "statemachines" / "ladder.asl.json").read_text())
    route = asl["States"]["Route"]
    assert {c["Variable"] for c in route["Choices"]} == {"$.step.action"}
    branches = {c["StringEquals"] for c in route["Choices"]}
    assert branches == set(get_args(Action)) - {"exhausted"}
    assert route["Default"] == "Exhausted"


def test_asl_substitutions_check_catches_a_missing_key(sam: dict[str, Any]) -> None:
    assert ct.check_asl_substitutions(sam) == []
    bad = _fresh(sam)
    subs = bad["Resources"]["LadderStateMachine"]["Properties"]["DefinitionSubstitutions"]
    del subs["PageRungFunctionArn"]
    subs["UnusedArn"] = "arn:aws:lambda:us-east-1:123456789012:function:nope"
    problems = ct.check_asl_substitutions(bad)
    assert any("${PageRungFunctionArn}" in p for p in problems)
    assert any("UnusedArn" in p for p in problems)


def _repo_copy(tmp_path: Path, asl: dict[str, Any]) -> Path:
    """template.yaml and the given ladder definition in a repository of their own."""
    (tmp_path / "template.yaml").write_text((REPO / "template.yaml").read_text())
    target = tmp_path / "infra" / "statemachines" / "ladder.asl.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(asl, indent=2))
    return tmp_path


def test_the_ladder_passes_statelint_as_deployed(tmp_path: Path) -> None:
    """statelint sees the definition with its ${...} filled by plausible ARNs, as Step
    Functions does; an integer BackoffRate (valid JSON, not a valid ASL float) is caught."""
    assert ct.check_statelint() == []
    refs = ct.plausible_refs(local_template.load(REPO / "template.yaml"))
    rendered = local_template.load(REPO / "template.yaml").state_machine.render(refs)
    assert "${" not in rendered
    assert "arn:aws:lambda:us-east-1:123456789012:function:" in rendered

    asl = json.loads((REPO / "infra" / "statemachines" / "ladder.asl.json").read_text())
    asl["States"]["Advance"]["Retry"][0]["BackoffRate"] = 2
    assert ct.check_statelint(_repo_copy(tmp_path, asl)) == [
        "LadderStateMachine: State Machine.States.Advance.Retry[0].BackoffRate is 2 but "
        "should be a Float"]


# ---------------------------------------------------------------- environment and secrets


def test_function_environments_follow_the_contract(sam: dict[str, Any]) -> None:
    for name, res in ct.resources(sam, ct.SERVERLESS_FUNCTION).items():
        variables = res["Properties"].get("Environment", {}).get("Variables", {})
        assert set(variables) == EXTRA_ENV[name], name
        if "CALLBACK_ALLOW_HTTP_LOOPBACK" in variables:
            assert variables["CALLBACK_ALLOW_HTTP_LOOPBACK"] == "false", name
    env = sam["Globals"]["Function"]["Environment"]["Variables"]
    # the local stack's loopback escape hatch (local/stack.py sets it) is never deployable
    assert "CALLBACK_ALLOW_HTTP_LOOPBACK" not in env
    assert env["POWERTOOLS_SERVICE_NAME"] == "crisis-pager"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "CrisisPager"


def test_powertools_never_logs_events(sam: dict[str, Any]) -> None:
    assert sam["Globals"]["Function"]["Environment"]["Variables"][
        "POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    assert ct.check_log_event(sam) == []
    bad = _fresh(sam)
    bad["Resources"]["SmsInboundFunction"]["Properties"]["Environment"]["Variables"][
        "POWERTOOLS_LOGGER_LOG_EVENT"] = "true"
    assert ct.check_log_event(bad) == [
        "SmsInboundFunction: POWERTOOLS_LOGGER_LOG_EVENT is 'true', must be 'false'"
    ]


def test_secrets_are_secrets_manager_references(sam: dict[str, Any]) -> None:
    assert ct.check_no_plain_secrets(sam) == []
    for name, res in ct.resources(sam, ct.SERVERLESS_FUNCTION).items():
        variables = res["Properties"].get("Environment", {}).get("Variables", {})
        if "TWILIO_SECRET_ARN" in variables:
            assert variables["TWILIO_SECRET_ARN"] == {"Ref": "TwilioSecret"}, name
        if "HOTLINE_SECRET_ARN" in variables:
            assert variables["HOTLINE_SECRET_ARN"] == {"Ref": "HotlineSecret"}, name
    secrets = ct.resources(sam, "AWS::SecretsManager::Secret")
    assert all(s["Properties"]["KmsKeyId"] == DATA_KEY_ARN for s in secrets.values())
    generated = secrets["HotlineSecret"]["Properties"]["GenerateSecretString"]
    assert generated["GenerateStringKey"] == "hotline" and generated["PasswordLength"] >= 32

    bad = _fresh(sam)
    bad["Resources"]["PageRungFunction"]["Properties"]["Environment"]["Variables"][
        "TWILIO_AUTH_TOKEN"] = "0123456789abcdef"
    bad["Resources"]["TwilioSecret"]["Properties"]["SecretString"] = '{"auth_token": "x"}'
    assert len(ct.check_no_plain_secrets(bad)) == 2


# ---------------------------------------------------------------- alarms


def test_alarms_reach_the_alerts_topic(sam: dict[str, Any]) -> None:
    alarms = ct.resources(sam, "AWS::CloudWatch::Alarm")
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "AlertsTopic"}] for a in alarms.values())
    states = {a["Properties"].get("MetricName") for a in alarms.values()
              if a["Properties"].get("Namespace") == "AWS/States"}
    assert states == {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"}
    failed = alarms["LadderExecutionFailedAlarm"]["Properties"]
    assert failed["Dimensions"] == [{"Name": "StateMachineArn",
                                     "Value": {"Ref": "LadderStateMachine"}}]
    assert failed["TreatMissingData"] == "notBreaching"
    custom = {a["Properties"]["MetricName"]: a["Properties"] for a in alarms.values()
              if a["Properties"].get("Namespace") == "CrisisPager"}
    assert {"ReferralsMade", "RungsSkipped", "PagesFailed", "PagesUndelivered"} <= set(custom)
    for metric, props in custom.items():
        assert props["Dimensions"] == [{"Name": "service", "Value": "crisis-pager"}], metric
        assert props["Threshold"] == 1 and props["Period"] == 60, metric
    assert alarms["ReferralRungReachedAlarm"]["Properties"]["MetricName"] == "ReferralsMade"
    # Two alarms share the functions: one on metric math may watch at most 10 metrics.
    errors = [m for name in ERRORS_ALARMS for m in alarms[name]["Properties"]["Metrics"]]
    watched = {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
               for m in errors if "MetricStat" in m}
    assert watched == set(FUNCTIONS), "every function's errors raise the alarm"


# ---------------------------------------------------------------- drift: what every function has
# A function added to the template must come with its log group and its errors alarm
# metric; these checks derive the functions from the template, not from FUNCTIONS.

LOG_GROUP = "AWS::Logs::LogGroup"
ERRORS_ALARMS = ("FunctionErrorsAlarm", "ApiFunctionErrorsAlarm")
METRIC_MATH_LIMIT = 10  # metrics one CloudWatch alarm on metric math may use (hard limit)


def _lambda_log_group_owner(group: dict[str, Any]) -> str | None:
    """The function a log group is named for ("/aws/lambda/${Function}"), if any."""
    name = group.get("Properties", {}).get("LogGroupName")
    text = name.get("Fn::Sub") if isinstance(name, dict) else name
    if not isinstance(text, str) or not text.startswith("/aws/lambda/"):
        return None
    return text.removeprefix("/aws/lambda/").removeprefix("${").removesuffix("}")


def check_log_groups(sam: dict[str, Any]) -> list[str]:
    """Every log group is encrypted with the data key and kept LogRetentionDays; every
    function has exactly one of its own (/aws/lambda/<function>, deleted with the stack:
    logs are operational, the timeline table is the record), and none names anything else."""
    functions = set(ct.resources(sam, ct.SERVERLESS_FUNCTION))
    owned: dict[str, list[str]] = {f: [] for f in functions}
    problems: list[str] = []
    for name, group in ct.resources(sam, LOG_GROUP).items():
        props = group.get("Properties", {})
        if props.get("KmsKeyId") != DATA_KEY_ARN:
            problems.append(f"{name}: not encrypted with the data key (KmsKeyId)")
        if props.get("RetentionInDays") != {"Ref": "LogRetentionDays"}:
            problems.append(f"{name}: RetentionInDays is not the LogRetentionDays parameter")
        owner = _lambda_log_group_owner(group)
        if owner is None:
            continue
        if owner not in functions:
            problems.append(f"{name}: /aws/lambda/ log group of {owner!r}, not a function")
            continue
        owned[owner].append(name)
        if (group.get("DeletionPolicy"), group.get("UpdateReplacePolicy")) != ("Delete",) * 2:
            problems.append(f"{name}: DeletionPolicy and UpdateReplacePolicy must be Delete")
    for function, groups in sorted(owned.items()):
        if len(groups) != 1:
            problems.append(f"{function}: {len(groups)} log groups {sorted(groups)}, want 1")
        if "LoggingConfig" in sam["Resources"][function]["Properties"]:
            problems.append(f"{function}: LoggingConfig would send its logs elsewhere")
    return problems


def check_errors_alarms(sam: dict[str, Any]) -> list[str]:
    """Every function's Errors (AWS/Lambda, Sum over 60 s) is watched by exactly one of the
    errors alarms, each the SUM(METRICS()) of at most 10 metrics, notifying the alerts topic."""
    functions = set(ct.resources(sam, ct.SERVERLESS_FUNCTION))
    alarms = ct.resources(sam, "AWS::CloudWatch::Alarm")
    watched: list[str] = []
    problems: list[str] = []
    for name in ERRORS_ALARMS:
        if name not in alarms:
            problems.append(f"{name}: missing")
            continue
        props = alarms[name]["Properties"]
        metrics = props.get("Metrics", [])
        stats = [m for m in metrics if "MetricStat" in m]
        if len(stats) > METRIC_MATH_LIMIT:
            problems.append(f"{name}: {len(stats)} metrics, CloudWatch allows "
                            f"{METRIC_MATH_LIMIT} in an alarm on metric math")
        returned = [(m.get("Expression"), m.get("ReturnData")) for m in metrics
                    if "Expression" in m]
        if returned != [("SUM(METRICS())", True)]:
            problems.append(f"{name}: must alarm on the one expression SUM(METRICS())")
        if props.get("AlarmActions") != [{"Ref": "AlertsTopic"}]:
            problems.append(f"{name}: must notify the alerts topic")
        for m in stats:
            stat, metric = m["MetricStat"], m["MetricStat"]["Metric"]
            dims = metric.get("Dimensions", [])
            ref = dims[0].get("Value", {}).get("Ref") if len(dims) == 1 else None
            if (metric.get("Namespace"), metric.get("MetricName"), stat.get("Stat"),
                    stat.get("Period"), m.get("ReturnData"), dims[:1] and dims[0].get("Name"),
                    ) != ("AWS/Lambda", "Errors", "Sum", 60, False, "FunctionName") or not ref:
                problems.append(f"{name}: metric {m.get('Id')} is not one function's Errors "
                                "(AWS/Lambda, Sum, 60 s, ReturnData false)")
                continue
            watched.append(ref)
    for function in sorted(functions - set(watched)):
        problems.append(f"{function}: its errors raise no alarm")
    for ref in sorted(set(watched) - functions):
        problems.append(f"an errors alarm watches {ref!r}, not a function")
    for ref in sorted({r for r in watched if watched.count(r) > 1}):
        problems.append(f"{ref}: watched more than once (its errors would count twice)")
    return problems


def test_every_function_has_its_own_encrypted_log_group(sam: dict[str, Any]) -> None:
    assert check_log_groups(sam) == []
    groups = {_lambda_log_group_owner(g) for g in ct.resources(sam, LOG_GROUP).values()}
    assert set(FUNCTIONS) <= groups

    missing = _fresh(sam)
    del missing["Resources"]["TwilioVoiceLogGroup"]
    assert check_log_groups(missing) == ["TwilioVoiceFunction: 0 log groups [], want 1"]
    plain = _fresh(sam)
    del plain["Resources"]["TwilioStatusLogGroup"]["Properties"]["KmsKeyId"]
    plain["Resources"]["LadderLogGroup"]["Properties"]["RetentionInDays"] = 3653
    assert check_log_groups(plain) == [
        "TwilioStatusLogGroup: not encrypted with the data key (KmsKeyId)",
        "LadderLogGroup: RetentionInDays is not the LogRetentionDays parameter"]
    added = _fresh(sam)  # a new function without its log group, and a stray group
    added["Resources"]["NewFunction"] = copy.deepcopy(sam["Resources"]["AdvanceFunction"])
    added["Resources"]["Stray"] = copy.deepcopy(sam["Resources"]["AdvanceLogGroup"])
    added["Resources"]["Stray"]["Properties"]["LogGroupName"] = {"Fn::Sub": "/aws/lambda/${Gone}"}
    assert check_log_groups(added) == [
        "Stray: /aws/lambda/ log group of 'Gone', not a function",
        "NewFunction: 0 log groups [], want 1"]


def test_every_function_is_watched_by_an_errors_alarm(sam: dict[str, Any]) -> None:
    assert check_errors_alarms(sam) == []

    added = _fresh(sam)
    added["Resources"]["NewFunction"] = copy.deepcopy(sam["Resources"]["AdvanceFunction"])
    assert check_errors_alarms(added) == ["NewFunction: its errors raise no alarm"]
    crowded = _fresh(sam)  # everything in one alarm: CloudWatch refuses it at deploy
    metrics = crowded["Resources"]["FunctionErrorsAlarm"]["Properties"]["Metrics"]
    api = crowded["Resources"].pop("ApiFunctionErrorsAlarm")["Properties"]["Metrics"]
    metrics += [m for m in api if "MetricStat" in m]
    assert check_errors_alarms(crowded) == [
        "FunctionErrorsAlarm: 12 metrics, CloudWatch allows 10 in an alarm on metric math",
        "ApiFunctionErrorsAlarm: missing"]
    wrong = _fresh(sam)
    stat = next(m for m in wrong["Resources"]["FunctionErrorsAlarm"]["Properties"]["Metrics"]
                if "MetricStat" in m)
    stat["MetricStat"]["Metric"]["MetricName"] = "Throttles"
    function = stat["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
    assert check_errors_alarms(wrong) == [
        f"FunctionErrorsAlarm: metric {stat['Id']} is not one function's Errors "
        "(AWS/Lambda, Sum, 60 s, ReturnData false)",
        f"{function}: its errors raise no alarm"]


# ---------------------------------------------------------------- participants (PHI)


def test_no_function_can_change_or_read_beyond_what_it_needs_of_participants(
    cfn: dict[str, Any],
) -> None:
    """Plan versions are written only by admin tooling: a function may Query them, and the
    hotline callback may only add items to disclosure#<participant> partitions."""
    readers, writers = set(), set()
    for role, stmt in ct.role_statements(cfn):
        if not any(ct._refers_to(r, "ParticipantsTable") for r in ct._as_list(stmt["Resource"])):
            continue
        actions = ct._actions(stmt)
        assert actions <= {"dynamodb:Query", "dynamodb:PutItem"}, (role, actions)
        if "dynamodb:PutItem" in actions:
            assert actions == {"dynamodb:PutItem"}, role
            assert stmt["Condition"] == {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["disclosure#*"]}}, role
            writers.add(role)
        else:
            readers.add(role)
    assert writers == {"HotlineCallbackFunctionRole"}
    assert readers == {"EmergencyReferralFunctionRole", "ClinicianBriefFunctionRole"}


def test_participant_models_match_the_tables(sam: dict[str, Any]) -> None:
    pytest.importorskip("pynamodb")
    from crisis_pager.adapters.dynamo import participants
    from crisis_pager.adapters.dynamo import tables as bound

    config = pytest.importorskip("crisis_pager.config")
    bound.bind(config.settings())
    tables = ct.resources(sam, "AWS::DynamoDB::Table")
    env = sam["Globals"]["Function"]["Environment"]["Variables"]
    assert env["PARTICIPANTS_TABLE"] == {"Ref": "ParticipantsTable"}
    for model, table, field in [
        (participants.ParticipantVersionItem, "ParticipantsTable", "participants_table"),
        (participants.DisclosureItem, "ParticipantsTable", "participants_table"),
        (participants.NoticeClaim, "IncidentsTable", "incidents_table"),
    ]:
        assert model.Meta.table_name == getattr(config.settings(), field), model.__name__
        keys = {(k["AttributeName"], k["KeyType"]) for k in model._get_schema()["key_schema"]}
        assert keys == set(_key_schema(tables[table])), model.__name__
    props = tables["ParticipantsTable"]["Properties"]
    assert "TimeToLiveSpecification" not in props, "plans and disclosures never expire"
    assert "StreamSpecification" not in props, "no stream carries PHI anywhere"


def test_the_api_is_not_traced_so_no_brief_link_url_lands_in_x_ray(
        sam: dict[str, Any], cfn: dict[str, Any]) -> None:
    """API Gateway's X-Ray segments record the request URL; a brief link's URL is a bearer
    credential to a participant's safety plan for 2 hours. The functions stay traced."""
    assert sam["Resources"]["Api"]["Properties"]["TracingEnabled"] is False
    stages = ct.resources(cfn, "AWS::ApiGateway::Stage")
    assert stages and all(not s["Properties"].get("TracingEnabled") for s in stages.values())
