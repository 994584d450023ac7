"""local.powertools_threads: on the local stack each thread's invocation keeps its own
Powertools metrics, as each Lambda container does.

Powertools keeps the metrics of an invocation in dicts shared by every ``Metrics()`` of the
process (right on Lambda: one invocation per process at a time). The local stack runs many
invocations as threads of one process, so without this a handler's flush serialised the
dict while another thread added to it ("RuntimeError: dictionary changed size during
iteration", seen once in page_rung under the soak), emitted another invocation's metrics
and cleared them before their own handler flushed them.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from local import powertools_threads


@pytest.fixture
def isolated() -> Iterator[None]:
    with powertools_threads.isolated():
        yield


def _names(blob: dict[str, object]) -> set[str]:
    definitions = blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]  # type: ignore[index]
    return {d["Name"] for d in definitions}


def test_one_invocation_never_flushes_or_clears_another_threads_metrics(isolated: None) -> None:
    metrics = Metrics(namespace="t", service="s")  # one module-level instance, as handlers have
    added, flushed = threading.Event(), threading.Event()
    seen: dict[str, set[str]] = {}

    def first() -> None:
        metrics.add_metric(name="FromFirst", unit=MetricUnit.Count, value=1)
        added.set()
        flushed.wait(5)
        seen["first"] = _names(metrics.serialize_metric_set())  # type: ignore[arg-type]
        metrics.clear_metrics()

    def second() -> None:
        added.wait(5)
        metrics.add_metric(name="FromSecond", unit=MetricUnit.Count, value=1)
        seen["second"] = _names(metrics.serialize_metric_set())  # type: ignore[arg-type]
        metrics.clear_metrics()
        flushed.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"first": {"FromFirst"}, "second": {"FromSecond"}}


def test_flushing_while_another_thread_adds_never_raises(isolated: None) -> None:
    metrics = Metrics(namespace="t", service="s")
    errors: list[BaseException] = []
    stop = threading.Event()

    def add() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            metrics.add_metric(name=f"M{n % 90}", unit=MetricUnit.Count, value=1)
            if n % 90 == 0:
                metrics.clear_metrics()

    def flush() -> None:
        try:
            for _ in range(2000):
                metrics.add_metric(name="Flushed", unit=MetricUnit.Count, value=1)
                metrics.serialize_metric_set()
                metrics.clear_metrics()
        except Exception as exc:  # dictionary changed size during iteration, or cleared
            errors.append(exc)
        finally:
            stop.set()

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # let the threads interleave often
    try:
        threads = [threading.Thread(target=add), threading.Thread(target=flush)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sys.setswitchinterval(switch)
    assert errors == []


def test_restored_metrics_are_shared_by_the_process_again() -> None:
    with powertools_threads.isolated():
        pass
    metrics = Metrics(namespace="t", service="s")
    other = Metrics(namespace="t", service="s")
    metrics.add_metric(name="Shared", unit=MetricUnit.Count, value=1)
    try:
        assert "Shared" in other.metric_set, "Powertools' own behaviour once restored"
    finally:
        metrics.clear_metrics()


def test_an_instance_made_while_isolated_works_once_restored() -> None:
    with powertools_threads.isolated():
        metrics = Metrics(namespace="t", service="s")  # a handler module imported meanwhile
    metrics.add_metric(name="After", unit=MetricUnit.Count, value=1)
    try:
        assert "After" in Metrics(namespace="t", service="s").metric_set
    finally:
        metrics.clear_metrics()


def test_the_local_stack_answers_concurrent_posts_each_with_its_own_incident() -> None:
    """The intake sets app.context before resolving; concurrent posts of different events
    on the local stack got another post's context (KeyError) or incident."""
    from local import seed
    from local.stack import LocalStack

    with LocalStack(scale=0.01) as stack:
        seed.seed(stack)
        answers: dict[str, str] = {}
        barrier = threading.Barrier(8)

        def post(n: int) -> None:
            barrier.wait()
            response = stack.post_escalation({
                "program_id": seed.PROGRAM_ID, "severity": "high", "event_id": f"evt-{n}",
                "participant_ref": "ptc-0001", "summary": "s"})
            answers[f"evt-{n}"] = response.json().get("incident_id", response.body)

        threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert stack.errors == []
        assert {e: stack.incident(i).event_id for e, i in answers.items()} == {
            f"evt-{n}": f"evt-{n}" for n in range(8)}


def _rest_event(path: str) -> dict[str, object]:
    return {"httpMethod": "GET", "path": path, "resource": "/items/{item}",
            "pathParameters": {"item": path.rsplit("/", 1)[-1]}, "headers": {},
            "queryStringParameters": None, "multiValueQueryStringParameters": None,
            "requestContext": {"requestId": path, "stage": "v1"}, "body": None,
            "isBase64Encoded": False}


def test_two_requests_resolved_at_once_each_read_their_own_event(isolated: None) -> None:
    """Powertools assigns the request to BaseRouter (class attributes) and keeps
    app.context on the app: without isolation the first request, still running when the
    second arrives, reads the second's path and context."""
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    app = APIGatewayRestResolver()  # one module-level app, as handlers have
    second_in = threading.Event()
    answers: dict[str, object] = {}

    @app.get("/items/<item>")
    def item(item: str) -> dict[str, object]:
        if item == "one":
            second_in.wait(5)  # the second request is being answered meanwhile
        return {"path": app.current_event.path, "context": app.context.get("who"),
                "request": app.lambda_context}

    def call(name: str) -> None:
        app.append_context(who=name)
        if name == "two":
            threading.Timer(0.2, second_in.set).start()
        answers[name] = app.resolve(_rest_event(f"/items/{name}"), name)["body"]

    first = threading.Thread(target=call, args=("one",))
    first.start()
    second = threading.Thread(target=call, args=("two",))
    second.start()
    for t in (first, second):
        t.join(10)
    import json

    assert {k: json.loads(str(v)) for k, v in answers.items()} == {
        "one": {"path": "/items/one", "context": "one", "request": "one"},
        "two": {"path": "/items/two", "context": "two", "request": "two"}}
