"""The one-machine stack: the real handlers, the real ASL and the real Twilio client,
on moto and a fake Twilio transport. No Docker, no AWS account.

    with LocalStack(scale=0.002) as stack:        # one ladder second lasts 2 ms
        stack.seed_demo_program()
        reply = stack.post_escalation({...})      # signed exactly as a hotline signs
        stack.sms_reply("+15035550101", "A 417")  # signed exactly as Twilio signs

Tables, functions, handlers, environment and the state machine's substitutions are read
from template.yaml, so what runs here is what deploys. Functions with DynamoDB stream events
get the tables' changes as Lambda delivers them (local/moto/stream_poller.py: a poller thread,
~50 ms); functions with Schedule events run when :meth:`LocalStack.run_daily_checks` says so.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import logging
import os
import secrets
import sys
import threading
import time
import uuid
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from local import moto as local_moto
from local import powertools_threads
from local import template as sam
from local.clock import LadderClock
from local.fake_twilio import FakeTwilioHttpClient, signed_inbound_sms
from local.hotline_receiver import HotlineReceiver
from local.moto.stream_poller import StreamPoller

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
ACCOUNT = "123456789012"
LOCAL_BASE_URL = "http://127.0.0.1:8787"
HOTLINE_ID = "demo-hotline"
HOTLINE_NAME = "Demo Regional Crisis Line"
HOTLINE_AFFILIATION = "988 Lifeline network crisis center (demo)"
SERVICE = "crisis-pager"
# Programs' own number in the fake Twilio account (voice calls come from it), and the
# Messaging Service SMS are sent through.
TWILIO_FROM = "+15005550006"
MESSAGING_SERVICE_SID = "MG" + "0" * 32


class StackClosed(RuntimeError):
    """A handler was invoked on a stack already torn down (a straggling thread)."""


class _HandlerOutput(io.TextIOBase):
    """stdout while the stack runs: what handlers print (EMF metrics) is kept apart from
    what the operator sees, per thread, so the demo stays readable and tests can scan it."""

    def __init__(self, passthrough: Any, sink: Callable[[str], None]) -> None:
        self._passthrough = passthrough
        self._sink = sink
        self.in_handler = threading.local()

    def write(self, text: str) -> int:
        if getattr(self.in_handler, "on", False):
            self._sink(text)
            return len(text)
        return int(self._passthrough.write(text))

    def flush(self) -> None:
        self._passthrough.flush()


class _LogCapture(logging.Handler):
    def __init__(self, sink: Callable[[str], None], formatter: logging.Formatter | None) -> None:
        super().__init__()
        self._sink = sink
        if formatter:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self._sink(self.format(record))


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    aws_request_id: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 20_000


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class LocalStack:
    def __init__(
        self,
        *,
        scale: float = 0.002,
        start: datetime | None = None,
        template_path: Path = ROOT / "template.yaml",
        capture_output: bool = True,
        public_base_url: str = LOCAL_BASE_URL,
        build_dir: Path | None = None,
    ) -> None:
        self.scale = scale
        # What `sam build` made (e.g. ROOT / ".aws-sam/build"): the handlers are loaded from
        # its function folders, and crisis_pager must come from its SharedLayer (first on
        # sys.path), instead of functions/ and layers/shared.
        self.build_dir = build_dir
        self._closed = False  # set by teardown: stragglers are dropped, never run
        self.public_base_url = public_base_url.rstrip("/")  # the URL Twilio signs against
        # Ladder time (local/clock.py): real speed while anything works, 1/scale times
        # faster while every ladder sleeps, and never past a sleeper's deadline.
        self.clock = LadderClock(scale, start)
        self.template = sam.load(template_path)
        self.hotline_secret = secrets.token_hex(24)
        self.twilio_auth_token = secrets.token_hex(16)
        # Twilio's side: records sends and calls, and posts signed status callbacks and
        # call webhooks back to the API, as Twilio does.
        self.twilio = FakeTwilioHttpClient(clock=lambda: self.clock.now().timestamp(),
                                           auth_token=self.twilio_auth_token,
                                           webhook=self._twilio_webhook, callback_delay=0.005,
                                           activity=self.clock.active)
        self.receiver = HotlineReceiver({HOTLINE_ID: self.hotline_secret})
        self.secret_values: dict[str, dict[str, Any]] = {}
        self.log_lines: list[str] = []
        self.metric_lines: list[str] = []
        self.errors: list[tuple[str, BaseException]] = []
        self._capture_output = capture_output
        self._lock = threading.Lock()
        self._mock: Any = None
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._function_names: dict[str, str] = {}  # moto function name -> folder
        self._routes: list[tuple[str, str, str]] = []  # (method, path template, folder)
        self._stdout: _HandlerOutput | None = None
        self._saved_log_handlers: list[logging.Handler] = []
        self._saved_env: dict[str, str | None] = {}
        self.refs: dict[str, str] = {}
        # Stream records to the functions that read them (started in __enter__).
        self.streams = StreamPoller(self._call, region=REGION, account=ACCOUNT)
        # Handlers run as threads of one process here, each invocation with its own
        # Powertools metrics, as each Lambda container has (local/powertools_threads.py).
        self._metrics_per_thread = contextlib.ExitStack()

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalStack:
        from moto import mock_aws

        self._mock = mock_aws(
            config={"stepfunctions": {"execute_state_machine": True},
                    "lambda": {"use_docker": False}}
        )
        self._mock.start()
        # moto logs every Catch-handled error (a rung's timeout is one) at ERROR: that is
        # the ladder's normal flow, not a failure. Failed executions still show as FAILED.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        try:
            self._metrics_per_thread.enter_context(powertools_threads.isolated())
            local_moto.apply(self.scale)
            local_moto.set_lambda_router(self._route_invocation)
            local_moto.set_ladder_clock(self.clock)
            self._create_resources()
            self._configure_handlers()
            self.receiver.start()
            self._start_streams()
        except BaseException:
            self._teardown()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._teardown()

    def _teardown(self) -> None:
        # From here on nothing runs on this stack: a moto execution thread or a fake Twilio
        # worker that outlives it must not write into the next stack's moto (one process,
        # one moto backend).
        self._closed = True
        self.twilio.clear()  # no more callbacks: they would reach a stopped stack
        try:
            self.twilio.drain(timeout=5.0)  # ... and let one already posting finish
        except TimeoutError:
            pass
        self.streams.stop()  # before moto stops: the poller reads moto's streams
        self.stop_executions()
        local_moto.set_lambda_router(None)
        local_moto.restore()
        if self._stdout is not None:
            if sys.stdout is self._stdout:
                sys.stdout = self._stdout._passthrough
            self._stdout = None
        service_logger = logging.getLogger(SERVICE)
        if self._saved_log_handlers:
            service_logger.handlers = self._saved_log_handlers
            self._saved_log_handlers = []
        try:
            self.receiver.stop()
        except Exception:  # noqa: BLE001,S110 (not started)
            pass
        from crisis_pager import bootstrap

        bootstrap.reset()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        self._metrics_per_thread.close()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    # ------------------------------------------------------------ resources from template.yaml

    def _create_resources(self) -> None:
        import boto3

        self.refs = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                     "AWS::StackName": "crisis-pager-local", "AWS::Partition": "aws",
                     "AWS::URLSuffix": "amazonaws.com"}
        for name, default in self.template.parameters.items():
            self.refs[name] = default
        self.refs["PublicBaseUrl"] = self.public_base_url

        ddb = boto3.client("dynamodb", region_name=REGION)
        for logical_id, table in self.template.tables.items():
            name = "crisis-pager-" + logical_id.removesuffix("Table").lower()
            created = ddb.create_table(**table.create_table_kwargs(name))["TableDescription"]
            self.refs[logical_id] = name
            self.refs[f"{logical_id}.Arn"] = (
                f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
            )
            if created.get("LatestStreamArn"):
                self.refs[f"{logical_id}.StreamArn"] = created["LatestStreamArn"]

        sm_client = boto3.client("secretsmanager", region_name=REGION)
        secret_values: dict[str, dict[str, Any]] = {
            "TwilioSecret": {"account_sid": "AC" + "0" * 32, "auth_token": self.twilio_auth_token,
                             "from_number": TWILIO_FROM,
                             "messaging_service_sid": MESSAGING_SERVICE_SID},
            # The entry's object form: its secret, and who receives the callbacks (named by
            # the disclosure record of a referral).
            "HotlineSecret": {HOTLINE_ID: {"secret": self.hotline_secret,
                                           "name": HOTLINE_NAME,
                                           "affiliation": HOTLINE_AFFILIATION}},
        }
        for logical_id, spec in self.template.secrets.items():
            value = secret_values.get(logical_id)
            if value is None:  # a secret the template generates: do as Secrets Manager does
                generate = spec.properties.get("GenerateSecretString") or {}
                value = json.loads(generate.get("SecretStringTemplate") or "{}")
                if generate.get("GenerateStringKey"):
                    value[generate["GenerateStringKey"]] = secrets.token_hex(24)
            self.secret_values[logical_id] = value
            arn = sm_client.create_secret(
                Name=f"crisis-pager-local/{logical_id}",
                SecretString=json.dumps(value),
            )["ARN"]
            self.refs[logical_id] = arn

        sns = boto3.client("sns", region_name=REGION)
        for logical_id in self.template.topics:
            arn = sns.create_topic(Name=f"crisis-pager-local-{logical_id}")["TopicArn"]
            self.refs[logical_id] = arn
            self.refs[f"{logical_id}.TopicArn"] = arn

        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(
            RoleName="crisis-pager-local", AssumeRolePolicyDocument=json.dumps({})
        )["Role"]["Arn"]
        lam = boto3.client("lambda", region_name=REGION)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("app.py", "# routed in-process by local/stack.py\n")
        for logical_id, fn in self.template.functions.items():
            name = f"crisis-pager-{fn.folder.replace('_', '-')}"
            arn = lam.create_function(
                FunctionName=name, Runtime="python3.12", Role=role, Handler=fn.handler,
                Code={"ZipFile": buffer.getvalue()},
            )["FunctionArn"]
            self.refs[logical_id] = name
            self.refs[f"{logical_id}.Arn"] = arn
            self._function_names[name] = fn.folder
            for method, path in fn.api_events:
                self._routes.append((method.upper(), path, fn.folder))

        spec = self.template.state_machine
        definition = spec.definition_path.read_text()
        for key, value in spec.substitutions.items():
            definition = definition.replace("${" + key + "}", sam.resolve(value, self.refs))
        sfn = boto3.client("stepfunctions", region_name=REGION)
        self.state_machine_arn = sfn.create_state_machine(
            name="crisis-pager-local-ladder", definition=definition, roleArn=role,
            type="STANDARD",
        )["stateMachineArn"]
        self.refs[spec.logical_id] = self.state_machine_arn
        self.refs[f"{spec.logical_id}.Arn"] = self.state_machine_arn
        self._sfn = sfn

    def _configure_handlers(self) -> None:
        env: dict[str, str] = {}
        for fn in self.template.functions.values():
            for key, value in fn.environment.items():
                env[key] = sam.resolve(value, self.refs)
        env.update({
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
            "PUBLIC_BASE_URL": self.public_base_url,
            "CALLBACK_ALLOW_HTTP_LOOPBACK": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        })
        for key, value in env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

        from crisis_pager import bootstrap

        # Powertools warns on every invocation that adds no metric; on the stack it is noise.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        bootstrap.configure(clock=self.clock, twilio_http_client=self.twilio)
        for fn in self.template.functions.values():
            module = self._handler_module(fn, bootstrap)
            self._handlers[fn.folder] = getattr(module, fn.handler_function)

        if self._capture_output:
            service_logger = logging.getLogger(SERVICE)
            self._saved_log_handlers = list(service_logger.handlers)
            formatter = self._saved_log_handlers[0].formatter if self._saved_log_handlers else None
            service_logger.handlers = [_LogCapture(self._keep_log, formatter)]

    def _handler_module(self, fn: sam.FunctionSpec, bootstrap: Any) -> Any:
        """The function's handler module: from the source tree, or from its built folder."""
        if self.build_dir is None:
            return importlib.import_module(f"functions.{fn.folder}.{fn.handler_module}")
        layer = (self.build_dir / "SharedLayer" / "python").resolve()
        if layer not in Path(bootstrap.__file__).resolve().parents:
            raise sam.TemplateError(f"crisis_pager was imported from {bootstrap.__file__}, "
                                    f"not from the built layer: put {layer} first on sys.path")
        code = self.build_dir / fn.logical_id
        path = code / f"{fn.handler_module}.py"
        spec = importlib.util.spec_from_file_location(
            f"_built_{fn.logical_id}_{fn.handler_module}", path)
        if spec is None or spec.loader is None or not path.is_file():
            raise sam.TemplateError(f"{fn.logical_id}: no built handler at {path}; sam build?")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        # Lambda puts the function's folder first on sys.path while its handler imports.
        sys.path.insert(0, str(code))
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(code))
        return module

    def _start_streams(self) -> None:
        """One event source mapping per DynamoDB stream event, reading from now on."""
        for fn in self.template.functions.values():
            for event in fn.stream_events:
                arn = self.refs.get(f"{event.table}.StreamArn")
                if arn is None:
                    raise sam.TemplateError(f"{fn.logical_id}: event {event.name} reads the "
                                            f"stream of {event.table}, which has none")
                self.streams.add(fn.folder, event, arn)
        self.streams.start()

    def _handler_stdout(self) -> _HandlerOutput | None:
        """The stdout proxy, (re)installed if someone (pytest's capture) replaced stdout."""
        if not self._capture_output:
            return None
        with self._lock:
            if sys.stdout is not self._stdout:
                if self._stdout is None or not isinstance(sys.stdout, _HandlerOutput):
                    self._stdout = _HandlerOutput(sys.stdout, self._keep_metric)
                    sys.stdout = self._stdout
                else:
                    self._stdout = sys.stdout
            return self._stdout

    def _keep_log(self, line: str) -> None:
        with self._lock:
            self.log_lines.append(line)

    def _keep_metric(self, text: str) -> None:
        if text.strip():
            with self._lock:
                self.metric_lines.append(text.strip())

    # ------------------------------------------------------------ invoking handlers

    def _call(self, folder: str, event: dict[str, Any]) -> Any:
        """Run a handler as Lambda would (every invocation goes through here)."""
        if self._closed:
            raise StackClosed(f"{folder} invoked after the local stack was torn down")
        context = LambdaContext(
            function_name=f"crisis-pager-{folder}",
            invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{folder}",
            aws_request_id=str(uuid.uuid4()),
        )
        proxy = self._handler_stdout()
        marker = proxy.in_handler if proxy else None
        if marker is not None:
            marker.on = True
        # Work: ladder time runs at real speed while any handler runs.
        self.clock.active(True)
        try:
            return self._handlers[folder](event, context)
        except BaseException as exc:
            with self._lock:
                self.errors.append((folder, exc))
            raise
        finally:
            self.clock.active(False)
            if marker is not None:
                marker.on = False

    def _route_invocation(self, function_name: str, event: dict[str, Any]) -> Any:
        folder = self._function_names[function_name.split(":")[-1]]
        return self._call(folder, event)

    def api(self, method: str, path: str, body: str = "",
            headers: dict[str, str] | None = None) -> ApiResponse:
        """Send an HTTP request through API Gateway's proxy event to the routed function."""
        method = method.upper()
        path, _, query = path.partition("?")
        for route_method, template_path, folder in self._routes:
            params = _match(template_path, path)
            if route_method == method and params is not None:
                event = _rest_event(method, template_path, path, params, body, headers or {},
                                    query)
                # Concurrent requests are answered concurrently, as Lambda does: each
                # thread resolves its own request (local/powertools_threads.py).
                result = self._call(folder, event)
                headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
                # Powertools' REST resolver answers with multiValueHeaders, as API Gateway
                # accepts them.
                for key, values in (result.get("multiValueHeaders") or {}).items():
                    headers.setdefault(key, ", ".join(str(v) for v in values))
                return ApiResponse(int(result["statusCode"]), headers, result.get("body") or "")
        return ApiResponse(404, {}, json.dumps({"message": "Missing Authentication Token"}))

    def run_daily_checks(self) -> dict[str, Any]:
        """Invoke every function that has a Schedule event, with EventBridge's payload, as
        its schedule would; returns each function's result by folder."""
        results: dict[str, Any] = {}
        for fn in self.template.functions.values():
            for event in fn.schedule_events:
                results[fn.folder] = self._call(
                    fn.folder, scheduled_event(fn, event, self.clock.now()))
        return results

    # ------------------------------------------------------------ as a hotline and as Twilio

    def signed_request(self, method: str, path: str, body: str = "",
                       hotline_id: str = HOTLINE_ID, secret: str | None = None,
                       timestamp: int | None = None) -> ApiResponse:
        from crisis_pager.domain.signature import signed_headers

        # Signed at wall-clock time, as a hotline signs (intake checks it against wall time).
        headers = signed_headers(hotline_id, secret or self.hotline_secret,
                                 timestamp or int(time.time()), method, path, body)
        headers["Content-Type"] = "application/json"
        return self.api(method, path, body, headers)

    def post_escalation(self, payload: dict[str, Any], **kwargs: Any) -> ApiResponse:
        return self.signed_request("POST", "/v1/escalations", json.dumps(payload), **kwargs)

    def get_escalation(self, incident_id: str, **kwargs: Any) -> ApiResponse:
        return self.signed_request("GET", f"/v1/escalations/{incident_id}", **kwargs)

    def sms_reply(self, from_: str, body: str, *, auth_token: str | None = None) -> ApiResponse:
        """A clinician's reply, delivered as Twilio delivers it: a signed form post. STOP
        and START also change what Twilio lets through to that phone, as Twilio does."""
        from crisis_pager.domain.replies import OptIn, OptOut, parse_reply

        reply = parse_reply(body)
        if isinstance(reply, OptOut):
            self.twilio.opt_out(from_)
        elif isinstance(reply, OptIn):
            self.twilio.opt_in(from_)
        headers, form = signed_inbound_sms(
            self.public_base_url + "/twilio/sms", auth_token or self.twilio_auth_token,
            from_=from_, to=TWILIO_FROM, body=body,
        )
        return self.api("POST", "/twilio/sms", form, headers)

    def _twilio_webhook(self, url: str, params: dict[str, str],
                        headers: dict[str, str]) -> tuple[int, str]:
        """Twilio's callbacks (status reports, call TwiML, keys) into the API."""
        if self._closed:
            return 410, "this local stack was torn down"
        if not url.startswith(self.public_base_url):
            return 404, f"not this stack: {url}"
        response = self.api("POST", url.removeprefix(self.public_base_url),
                            urlencode(params), headers)
        return response.status, response.body

    def twilio_post(self, path: str, params: dict[str, str], *,
                    auth_token: str | None = None) -> ApiResponse:
        """POST a form to one of our Twilio webhooks, signed as Twilio signs (a test's own
        status report or key press; ``auth_token`` to forge one)."""
        from twilio.request_validator import RequestValidator

        url = self.public_base_url + path
        signature = RequestValidator(auth_token or self.twilio_auth_token).compute_signature(
            url, params)
        return self.api("POST", path, urlencode(params), {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature})

    # ------------------------------------------------------------ reading the outcome

    def execution(self, incident_id: str) -> dict[str, Any]:
        arn = self.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + incident_id
        return dict(self._sfn.describe_execution(executionArn=arn))

    def set_scale(self, scale: float) -> None:
        """Change the time scale for the waits that start from now on (a test that runs a
        crisis at one scale and its day-long follow-up at a smaller one)."""
        self.clock.rescale(scale)
        local_moto.apply(scale)
        self.scale = scale

    def wait_until_done(self, incident_id: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = str(self.execution(incident_id)["status"])
            if status != "RUNNING":
                return status
            time.sleep(0.005)
        raise TimeoutError(f"ladder {incident_id} still running after {timeout}s wall")

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.002)
        raise TimeoutError("condition not met in time")

    def timeline(self, incident_id: str) -> list[dict[str, Any]]:
        from crisis_pager import bootstrap

        return list(bootstrap.timeline().entries(incident_id))

    def incident(self, incident_id: str) -> Any:
        from crisis_pager import bootstrap

        return bootstrap.incidents().get(incident_id)

    def stop_executions(self) -> None:
        """Stop whatever still runs (a test that ends mid-ladder), so no thread outlives moto."""
        sfn = getattr(self, "_sfn", None)
        if sfn is None or self._mock is None:
            return
        try:
            for page in sfn.get_paginator("list_executions").paginate(
                stateMachineArn=self.state_machine_arn, statusFilter="RUNNING"
            ):
                for ex in page["executions"]:
                    sfn.stop_execution(executionArn=ex["executionArn"])
        except Exception:  # noqa: BLE001,S110 (teardown is best effort)
            pass

    # ------------------------------------------------------------ seeding

    def put_items(self, table_logical_id: str, items: list[dict[str, Any]]) -> None:
        import boto3

        table = boto3.resource("dynamodb", region_name=REGION).Table(self.refs[table_logical_id])
        for item in items:
            table.put_item(Item=item)

    def delete_item(self, table_logical_id: str, key: dict[str, Any]) -> None:
        import boto3

        boto3.resource("dynamodb", region_name=REGION).Table(
            self.refs[table_logical_id]).delete_item(Key=key)


def scheduled_event(fn: sam.FunctionSpec, event: sam.ScheduleEventSpec,
                    now: datetime) -> dict[str, Any]:
    """What EventBridge invokes the function with when its schedule fires."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
        "source": "aws.events", "account": ACCOUNT, "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION, "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/"
                                        f"crisis-pager-local-{fn.logical_id}{event.name}"],
        "detail": {},
    }


def _match(template_path: str, path: str) -> dict[str, str] | None:
    t_parts, p_parts = template_path.strip("/").split("/"), path.strip("/").split("/")
    if len(t_parts) != len(p_parts):
        return None
    params: dict[str, str] = {}
    for t, p in zip(t_parts, p_parts, strict=True):
        if t.startswith("{") and t.endswith("}"):
            params[t[1:-1]] = p
        elif t != p:
            return None
    return params


def _rest_event(method: str, resource: str, path: str, params: dict[str, str], body: str,
                headers: dict[str, str], query: str = "") -> dict[str, Any]:
    pairs = parse_qsl(query, keep_blank_values=True)
    headers = {"Host": "127.0.0.1:8787", **headers}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": dict(pairs) or None,
        "multiValueQueryStringParameters": {k: [v for kk, v in pairs if kk == k]
                                            for k, _ in pairs} or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource, "httpMethod": method, "path": "/prod" + path,
            "stage": "prod", "requestId": str(uuid.uuid4()), "accountId": ACCOUNT,
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": body or None,
        "isBase64Encoded": False,
    }


__all__ = ["LocalStack", "LadderClock", "HOTLINE_ID"]
