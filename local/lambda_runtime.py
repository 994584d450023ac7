"""A handler run as Lambda runs it, in the local stack's process.

- :func:`handler_module` finds the function's handler module: from the source tree
  (``functions/<folder>/``), or from what ``sam build`` made, imported as Lambda imports it
  (its folder first on ``sys.path``; ``crisis_pager`` from the built SharedLayer);
- :func:`context_for` is the ``LambdaContext`` of one invocation;
- :class:`HandlerOutput` keeps what handlers print (Powertools' EMF metrics, on stdout) and
  log (the service's logger) apart from what the operator sees, per thread, so the demo
  stays readable and tests can scan :attr:`~HandlerOutput.log_lines` and
  :attr:`~HandlerOutput.metric_lines`.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import logging
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local import template as sam
from local.resources import ACCOUNT, REGION


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


def context_for(folder: str) -> LambdaContext:
    """The context of one invocation of the function in ``folder``."""
    return LambdaContext(
        function_name=f"crisis-pager-{folder}",
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{folder}",
        aws_request_id=str(uuid.uuid4()),
    )


def handler_module(fn: sam.FunctionSpec, build_dir: Path | None, bootstrap: Any) -> Any:
    """The function's handler module: from the source tree, or from its built folder."""
    if build_dir is None:
        # Its folder on the path, as its task root is in Lambda, for the modules beside its
        # handler (intake_api, brief_api: named uniquely across functions). Appended, and
        # kept: a handler may import one of them later, as it may in Lambda.
        if str(fn.code_dir) not in sys.path:
            sys.path.append(str(fn.code_dir))
        return importlib.import_module(f"functions.{fn.folder}.{fn.handler_module}")
    layer = (build_dir / "SharedLayer" / "python").resolve()
    if layer not in Path(bootstrap.__file__).resolve().parents:
        raise sam.TemplateError(f"crisis_pager was imported from {bootstrap.__file__}, "
                                f"not from the built layer: put {layer} first on sys.path")
    code = build_dir / fn.logical_id
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


class HandlerOutput:
    """What handlers print and log, kept while the stack runs (when ``enabled``)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.log_lines: list[str] = []
        self.metric_lines: list[str] = []
        self._lock = threading.Lock()
        self._stdout: _StdoutProxy | None = None
        self._saved_log_handlers: list[logging.Handler] = []
        self._logger_name = ""

    def capture_logs(self, logger_name: str) -> None:
        """Keep every record of ``logger_name`` in :attr:`log_lines`, formatted as its first
        handler formats it, instead of handing it to its handlers."""
        if not self.enabled:
            return
        logger = logging.getLogger(logger_name)
        self._logger_name = logger_name
        self._saved_log_handlers = list(logger.handlers)
        formatter = self._saved_log_handlers[0].formatter if self._saved_log_handlers else None
        logger.handlers = [_LogCapture(self._keep_log, formatter)]

    @contextlib.contextmanager
    def in_handler(self) -> Iterator[None]:
        """While a handler runs on this thread, what it prints is a metric line."""
        proxy = self._proxy()
        marker = proxy.in_handler if proxy else None
        if marker is not None:
            marker.on = True
        try:
            yield
        finally:
            if marker is not None:
                marker.on = False

    def restore(self) -> None:
        """Give back stdout and the logger's own handlers."""
        if self._stdout is not None:
            if sys.stdout is self._stdout:
                sys.stdout = self._stdout._passthrough
            self._stdout = None
        if self._saved_log_handlers:
            logging.getLogger(self._logger_name).handlers = self._saved_log_handlers
            self._saved_log_handlers = []

    def _proxy(self) -> _StdoutProxy | None:
        """The stdout proxy, (re)installed if someone (pytest's capture) replaced stdout."""
        if not self.enabled:
            return None
        with self._lock:
            if sys.stdout is not self._stdout:
                if self._stdout is None or not isinstance(sys.stdout, _StdoutProxy):
                    self._stdout = _StdoutProxy(sys.stdout, self._keep_metric)
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


class _StdoutProxy(io.TextIOBase):
    """stdout while the stack runs: what a handler thread prints goes to the sink, the rest
    passes through."""

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

