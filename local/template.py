"""Read ``template.yaml`` (SAM) so the local stack cannot drift from what is deployed.

:func:`load` parses the template (CloudFormation short tags such as ``!Ref``/``!Sub`` become
their long ``{"Ref": ...}``/``{"Fn::Sub": ...}`` forms) into typed specs: DynamoDB tables,
functions (with Globals merged, their DynamoDB stream and Schedule events listed), the state
machine, secrets and SNS topics. Values that are
intrinsics are kept raw; :func:`resolve` turns the simple ones (``Ref``, ``Fn::GetAtt``,
``Fn::Sub``, ``Fn::Join``) into strings from a mapping the local stack builds, e.g.
``{"IncidentsTable": "incidents", "LadderStateMachine": "arn:...",
"AlertsTopic": "arn:...", "AWS::Region": "us-east-1"}``; ``"X.Arn"`` keys serve ``GetAtt``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from local.cfn import (
    CfnLoader,
    TemplateError,
    UnresolvedReferenceError,
    literal,
    parameter_default,
    resolve,
)

__all__ = [
    "FunctionSpec",
    "ScheduleEventSpec",
    "SecretSpec",
    "StateMachineSpec",
    "StreamEventSpec",
    "TableSpec",
    "Template",
    "TemplateError",
    "TopicSpec",
    "UnresolvedReferenceError",
    "load",
    "loads",
    "resolve",
]

FUNCTION = "AWS::Serverless::Function"
TABLE = "AWS::DynamoDB::Table"
STATE_MACHINE = "AWS::Serverless::StateMachine"
SECRET = "AWS::SecretsManager::Secret"
TOPIC = "AWS::SNS::Topic"
_API_EVENT_TYPES = ("Api", "HttpApi")
_SCHEDULE_EVENT_TYPES = ("Schedule", "ScheduleV2")


# ----------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    key_schema: list[dict[str, str]]
    attribute_definitions: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]] = field(default_factory=list)
    local_secondary_indexes: list[dict[str, Any]] = field(default_factory=list)
    ttl_attribute: str | None = None
    table_name: Any = None  # raw TableName property, if the template sets one
    stream_view_type: str | None = None  # StreamSpecification.StreamViewType, if any

    def create_table_kwargs(self, name: str) -> dict[str, Any]:
        """Keyword arguments for boto3 ``create_table`` (on-demand, with the template's
        stream if it has one; no SSE/PITR)."""
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": copy.deepcopy(self.key_schema),
            "AttributeDefinitions": copy.deepcopy(self.attribute_definitions),
            "BillingMode": "PAY_PER_REQUEST",
        }
        if self.global_secondary_indexes:
            kwargs["GlobalSecondaryIndexes"] = copy.deepcopy(self.global_secondary_indexes)
        if self.local_secondary_indexes:
            kwargs["LocalSecondaryIndexes"] = copy.deepcopy(self.local_secondary_indexes)
        if self.stream_view_type:
            kwargs["StreamSpecification"] = {"StreamEnabled": True,
                                             "StreamViewType": self.stream_view_type}
        return kwargs


@dataclass(frozen=True)
class StreamEventSpec:
    """A ``Type: DynamoDB`` event: the function reads a table's stream (an event source
    mapping). Defaults are Lambda's."""

    name: str  # the event's name in the template, e.g. "ProgramsEdited"
    table: str  # logical id of the table, from ``Stream: !GetAtt <Table>.StreamArn``
    starting_position: str = "LATEST"
    batch_size: int = 100
    batching_window_s: float = 0.0  # MaximumBatchingWindowInSeconds
    max_retries: int = -1  # MaximumRetryAttempts; -1: until the records expire
    bisect_on_error: bool = False
    response_types: tuple[str, ...] = ()  # FunctionResponseTypes


@dataclass(frozen=True)
class ScheduleEventSpec:
    """A ``Type: Schedule`` (or ``ScheduleV2``) event: EventBridge invokes the function."""

    name: str
    expression: str  # e.g. "cron(0 15 * * ? *)"


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    folder: str  # e.g. "hotline_intake", the last part of CodeUri
    code_dir: Path  # CodeUri resolved against the template's directory
    handler: str  # e.g. "app.lambda_handler"
    environment: dict[str, Any]  # Globals merged with the function's; raw intrinsic values
    api_events: list[tuple[str, str]]  # (METHOD, path), e.g. ("POST", "/v1/escalations")
    properties: dict[str, Any]  # all properties, Globals merged
    stream_events: list[StreamEventSpec] = field(default_factory=list)
    schedule_events: list[ScheduleEventSpec] = field(default_factory=list)

    @property
    def handler_module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def handler_function(self) -> str:
        return self.handler.rsplit(".", 1)[1]

    def resolved_environment(self, refs: Mapping[str, str]) -> dict[str, str]:
        return {
            name: resolve(value, refs, context=f"{self.logical_id} environment {name}")
            for name, value in self.environment.items()
        }


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    definition_path: Path | None  # DefinitionUri resolved against the template's directory
    definition: dict[str, Any] | None  # inline Definition, when used instead
    substitutions: dict[str, Any]  # DefinitionSubstitutions, raw
    properties: dict[str, Any]

    def definition_text(self) -> str:
        if self.definition_path is not None:
            return self.definition_path.read_text(encoding="utf-8")
        if self.definition is not None:
            return json.dumps(self.definition)
        raise TemplateError(f"{self.logical_id}: neither DefinitionUri nor Definition")

    def render(self, refs: Mapping[str, str]) -> str:
        """The definition with every ``${Name}`` from DefinitionSubstitutions replaced."""
        values = {
            name: resolve(value, refs, context=f"{self.logical_id} substitution {name}")
            for name, value in self.substitutions.items()
        }
        text = self.definition_text()

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise TemplateError(
                    f"{self.logical_id}: definition uses ${{{name}}} but "
                    f"DefinitionSubstitutions has no {name!r}"
                )
            return values[name]

        return re.sub(r"\$\{([A-Za-z0-9_.:-]+)\}", substitute, text)


@dataclass(frozen=True)
class SecretSpec:
    logical_id: str
    name: Any  # raw Name property
    properties: dict[str, Any]


@dataclass(frozen=True)
class TopicSpec:
    logical_id: str
    topic_name: Any  # raw TopicName property
    properties: dict[str, Any]


@dataclass(frozen=True)
class Template:
    path: Path
    tables: dict[str, TableSpec]
    functions: dict[str, FunctionSpec]
    state_machines: dict[str, StateMachineSpec]
    secrets: dict[str, SecretSpec]
    topics: dict[str, TopicSpec]
    parameters: dict[str, str | None]  # name -> Default as a string (None: no default)
    parameter_specs: dict[str, dict[str, Any]]  # name -> the raw Parameters entry
    raw: dict[str, Any]

    @property
    def state_machine(self) -> StateMachineSpec:
        """The one state machine (the ladder)."""
        if len(self.state_machines) != 1:
            raise TemplateError(
                f"expected exactly one {STATE_MACHINE}, found {sorted(self.state_machines)}"
            )
        return next(iter(self.state_machines.values()))

    def function_by_folder(self, folder: str) -> FunctionSpec:
        for spec in self.functions.values():
            if spec.folder == folder:
                return spec
        raise KeyError(f"no function with CodeUri folder {folder!r}")

    def parameter_defaults(self) -> dict[str, str]:
        """Parameters that have a Default, as strings (ready to go into a refs mapping)."""
        return {name: value for name, value in self.parameters.items() if value is not None}


# ----------------------------------------------------------------------------- loading


def load(path: str | Path) -> Template:
    path = Path(path)
    return loads(path.read_text(encoding="utf-8"), base_dir=path.parent, path=path)


def loads(text: str, base_dir: str | Path = ".", path: str | Path = "template.yaml") -> Template:
    doc = yaml.load(text, Loader=CfnLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict):
        raise TemplateError(f"{path}: not a CloudFormation/SAM template (no Resources)")
    base = Path(base_dir)
    globals_fn = _mapping(_mapping(doc.get("Globals")).get("Function"))

    tables: dict[str, TableSpec] = {}
    functions: dict[str, FunctionSpec] = {}
    machines: dict[str, StateMachineSpec] = {}
    secrets: dict[str, SecretSpec] = {}
    topics: dict[str, TopicSpec] = {}
    specs = {name: _mapping(spec) for name, spec in _mapping(doc.get("Parameters")).items()}
    for logical_id, resource in doc["Resources"].items():
        if not isinstance(resource, dict):
            raise TemplateError(f"{path}: resource {logical_id} is not a mapping")
        kind = resource.get("Type")
        props = _mapping(resource.get("Properties"))
        if kind == TABLE:
            tables[logical_id] = _table(logical_id, props)
        elif kind == FUNCTION:
            functions[logical_id] = _function(logical_id, props, globals_fn, base)
        elif kind == STATE_MACHINE:
            machines[logical_id] = _state_machine(logical_id, props, base)
        elif kind == SECRET:
            secrets[logical_id] = SecretSpec(logical_id, props.get("Name"), props)
        elif kind == TOPIC:
            topics[logical_id] = TopicSpec(logical_id, props.get("TopicName"), props)
    return Template(
        path=Path(path),
        tables=tables,
        functions=functions,
        state_machines=machines,
        secrets=secrets,
        topics=topics,
        parameters={name: parameter_default(spec) for name, spec in specs.items()},
        parameter_specs=specs,
        raw=doc,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _table(logical_id: str, props: dict[str, Any]) -> TableSpec:
    if "KeySchema" not in props or "AttributeDefinitions" not in props:
        raise TemplateError(f"{logical_id}: a table needs KeySchema and AttributeDefinitions")

    def index(raw: dict[str, Any]) -> dict[str, Any]:
        out = {k: raw[k] for k in ("IndexName", "KeySchema", "Projection") if k in raw}
        plain: dict[str, Any] = literal(logical_id, "index", out)
        return plain

    ttl = _mapping(props.get("TimeToLiveSpecification"))
    enabled = ttl.get("Enabled") in (True, "true", "True")
    return TableSpec(
        logical_id=logical_id,
        key_schema=literal(logical_id, "KeySchema", props["KeySchema"]),
        attribute_definitions=literal(logical_id, "AttributeDefinitions",
                                     props["AttributeDefinitions"]),
        global_secondary_indexes=[index(i) for i in props.get("GlobalSecondaryIndexes") or []],
        local_secondary_indexes=[index(i) for i in props.get("LocalSecondaryIndexes") or []],
        ttl_attribute=ttl.get("AttributeName") if enabled else None,
        table_name=props.get("TableName"),
        stream_view_type=_mapping(props.get("StreamSpecification")).get("StreamViewType"),
    )


def _function(logical_id: str, props: dict[str, Any], globals_fn: dict[str, Any],
              base: Path) -> FunctionSpec:
    merged = {**globals_fn, **props}
    env = {
        **_mapping(_mapping(globals_fn.get("Environment")).get("Variables")),
        **_mapping(_mapping(props.get("Environment")).get("Variables")),
    }
    merged["Environment"] = {"Variables": env}
    code_uri = merged.get("CodeUri")
    handler = merged.get("Handler")
    if not isinstance(code_uri, str) or not code_uri.strip("/. "):
        raise TemplateError(f"{logical_id}: CodeUri must be a local folder, got {code_uri!r}")
    if not isinstance(handler, str) or "." not in handler:
        raise TemplateError(f"{logical_id}: Handler must look like module.function, "
                            f"got {handler!r}")
    api_events: list[tuple[str, str]] = []
    stream_events: list[StreamEventSpec] = []
    schedule_events: list[ScheduleEventSpec] = []
    for name, event in _mapping(merged.get("Events")).items():
        event = _mapping(event)
        ev_props = _mapping(event.get("Properties"))
        if event.get("Type") == "DynamoDB":
            stream_events.append(_stream_event(logical_id, name, ev_props))
            continue
        if event.get("Type") in _SCHEDULE_EVENT_TYPES:
            expression = ev_props.get("Schedule") or ev_props.get("ScheduleExpression")
            if not isinstance(expression, str):
                raise TemplateError(f"{logical_id}: event {name} needs a literal Schedule")
            schedule_events.append(ScheduleEventSpec(name, expression))
            continue
        if event.get("Type") not in _API_EVENT_TYPES:
            continue
        method, ev_path = ev_props.get("Method"), ev_props.get("Path")
        if not isinstance(method, str) or not isinstance(ev_path, str):
            raise TemplateError(f"{logical_id}: event {name} needs literal Method and Path")
        api_events.append((method.upper(), ev_path))
    return FunctionSpec(
        logical_id=logical_id,
        folder=PurePosixPath(code_uri.rstrip("/")).name,
        code_dir=(base / code_uri).resolve(),
        handler=handler,
        environment=env,
        api_events=api_events,
        properties=merged,
        stream_events=stream_events,
        schedule_events=schedule_events,
    )


def _stream_event(logical_id: str, name: str, props: dict[str, Any]) -> StreamEventSpec:
    stream = props.get("Stream")
    target = stream.get("Fn::GetAtt") if isinstance(stream, dict) else None
    parts = target.split(".", 1) if isinstance(target, str) else target
    if not (isinstance(parts, list) and len(parts) == 2 and parts[1] == "StreamArn"):
        raise TemplateError(f"{logical_id}: event {name} needs Stream: !GetAtt <Table>.StreamArn, "
                            f"got {json.dumps(stream)}")
    defaults = StreamEventSpec(name, str(parts[0]))
    try:
        return StreamEventSpec(
            name=name,
            table=str(parts[0]),
            starting_position=str(props.get("StartingPosition", defaults.starting_position)),
            batch_size=int(props.get("BatchSize", defaults.batch_size)),
            batching_window_s=float(props.get("MaximumBatchingWindowInSeconds",
                                              defaults.batching_window_s)),
            max_retries=int(props.get("MaximumRetryAttempts", defaults.max_retries)),
            bisect_on_error=props.get("BisectBatchOnFunctionError") in (True, "true", "True"),
            response_types=tuple(str(t) for t in props.get("FunctionResponseTypes") or ()),
        )
    except (TypeError, ValueError):
        raise TemplateError(f"{logical_id}: event {name} needs literal numbers") from None


def _state_machine(logical_id: str, props: dict[str, Any], base: Path) -> StateMachineSpec:
    uri = props.get("DefinitionUri")
    definition = props.get("Definition")
    if uri is not None and not isinstance(uri, str):
        raise TemplateError(f"{logical_id}: DefinitionUri must be a local path, got {uri!r}")
    if uri is None and not isinstance(definition, dict):
        raise TemplateError(f"{logical_id}: needs DefinitionUri or an inline Definition")
    return StateMachineSpec(
        logical_id=logical_id,
        definition_path=(base / uri).resolve() if uri else None,
        definition=definition if isinstance(definition, dict) else None,
        substitutions=_mapping(props.get("DefinitionSubstitutions")),
        properties=props,
    )
