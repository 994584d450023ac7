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

Its parts: ``local.resources`` creates template.yaml's resources on moto, ``local.moto``
makes moto run them as AWS does, ``local.lambda_runtime`` runs a handler as Lambda runs it,
``local.api_gateway`` routes requests to functions, ``local.fake_twilio`` is Twilio, and
``local.inbound`` sends what a hotline and Twilio send.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from local import lambda_runtime, powertools_threads, resources
from local import moto as local_moto
from local import template as sam
from local.api_gateway import ApiResponse, Routes, missing_route, proxy_response
from local.clock import LadderClock
from local.fake_twilio import FakeTwilioHttpClient
from local.hotline_receiver import HotlineReceiver
from local.inbound import InboundRequests
from local.moto.stream_poller import StreamPoller
from local.resources import ACCOUNT, HOTLINE_ID, REGION

ROOT = Path(__file__).resolve().parent.parent
LOCAL_BASE_URL = "http://127.0.0.1:8787"
SERVICE = "crisis-pager"


class StackClosed(RuntimeError):
    """A handler was invoked on a stack already torn down (a straggling thread)."""


class LocalStack(InboundRequests):
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
        # What handlers print (EMF metrics) and log, kept apart from the operator's output.
        self._output = lambda_runtime.HandlerOutput(capture_output)
        self.log_lines = self._output.log_lines
        self.metric_lines = self._output.metric_lines
        self.errors: list[tuple[str, BaseException]] = []
        self._lock = threading.Lock()
        self._mock: Any = None
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._function_names: dict[str, str] = {}  # moto function name -> folder
        self._routes = Routes()
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
        self._output.restore()
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
        created = resources.create(self.template, public_base_url=self.public_base_url,
                                   twilio_auth_token=self.twilio_auth_token,
                                   hotline_secret=self.hotline_secret)
        self.refs = created.refs
        self.secret_values.update(created.secret_values)
        self._function_names.update(created.function_names)
        for method, path, folder in created.api_events:
            self._routes.add(method, path, folder)
        self.state_machine_arn = created.state_machine_arn
        self._sfn = created.sfn

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
            module = lambda_runtime.handler_module(fn, self.build_dir, bootstrap)
            self._handlers[fn.folder] = getattr(module, fn.handler_function)
        self._output.capture_logs(SERVICE)

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

    # ------------------------------------------------------------ invoking handlers

    def _call(self, folder: str, event: dict[str, Any]) -> Any:
        """Run a handler as Lambda would (every invocation goes through here)."""
        if self._closed:
            raise StackClosed(f"{folder} invoked after the local stack was torn down")
        context = lambda_runtime.context_for(folder)
        with self._output.in_handler():
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

    def _route_invocation(self, function_name: str, event: dict[str, Any]) -> Any:
        folder = self._function_names[function_name.split(":")[-1]]
        return self._call(folder, event)

    def api(self, method: str, path: str, body: str = "",
            headers: dict[str, str] | None = None) -> ApiResponse:
        """Send an HTTP request through API Gateway's proxy event to the routed function."""
        routed = self._routes.route(method, path, body, headers or {})
        if routed is None:
            return missing_route()
        folder, event = routed
        # Concurrent requests are answered concurrently, as Lambda does: each thread
        # resolves its own request (local/powertools_threads.py).
        return proxy_response(self._call(folder, event))

    def run_daily_checks(self) -> dict[str, Any]:
        """Invoke every function that has a Schedule event, with EventBridge's payload, as
        its schedule would; returns each function's result by folder."""
        results: dict[str, Any] = {}
        for fn in self.template.functions.values():
            for event in fn.schedule_events:
                results[fn.folder] = self._call(
                    fn.folder, scheduled_event(fn, event, self.clock.now()))
        return results

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

    def page(self, incident_id: str, position: int) -> Any:
        """The page item of one rung (its ``code`` is what that phone was told to reply)."""
        from crisis_pager import bootstrap

        return bootstrap.pages().page_for(incident_id, position)

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


__all__ = ["LadderClock", "LocalStack", "StackClosed", "scheduled_event"]
