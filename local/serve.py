"""`make serve`: the hotline API over real HTTP on 127.0.0.1, with the local stack behind it.

    .venv/bin/python -m local.serve [--port 8787] [--scale 0.1]

Every request to http://127.0.0.1:<port> goes through `LocalStack.api` exactly as API
Gateway would hand it to the function. Outbound SMS and hotline callbacks are printed as
they happen; at the prompt you answer as a clinician (`clin-ana A 417`). Without a
terminal (stdin closed) it keeps serving until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import xml.etree.ElementTree as ET  # noqa: N817
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

from local import seed
from local.resources import HOTLINE_ID
from local.stack import LocalStack

HOST = "127.0.0.1"  # never 0.0.0.0: this server holds a demo secret and pages fake phones
DEFAULT_PORT = 8787
DEFAULT_SCALE = 0.1  # one ladder second lasts 0.1 s: a 5-minute rung lasts 30 s of wall time

# Powertools resolvers keep the current request on module-level objects, so requests are
# handled one at a time (as one Lambda instance would), from HTTP and from the prompt alike.
_API_LOCK = threading.Lock()

HELP = """\
  <clinician id or +phone> <text>   reply by SMS as that clinician, e.g. `clin-ben A 417`
  rota <command> ...                the rota CLI on this stack, e.g. `rota show west-iop`,
                                    `rota check west-iop`, `rota --help`
  help                              this text
  quit                              stop (Ctrl-C and Ctrl-D work too)"""


# ------------------------------------------------------------------ the HTTP front


def make_server(stack: LocalStack, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1:<port> (0: any free port) forwarding to `stack.api`.
    The caller runs `serve_forever` (in a thread) and later `shutdown` and `server_close`."""

    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            path = self.path.split("?", 1)[0]
            try:
                with _API_LOCK:
                    response = stack.api(self.command, path, body, dict(self.headers.items()))
                status, headers, text = response.status, response.headers, response.body
            except Exception as exc:  # noqa: BLE001 (a handler crash is API Gateway's 502)
                print(f"[http] {self.command} {path}: handler error {exc!r}")
                status, headers = 502, {"Content-Type": "application/json"}
                text = '{"message": "Internal server error"}'
            payload = text.encode()
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            print(f"[http] {format % args}")

    return ThreadingHTTPServer((HOST, port), Handler)


# ------------------------------------------------------------------ what the operator sees


def ladder_time(stack: LocalStack, epoch_s: float) -> str:
    m, s = divmod(int(epoch_s - stack.clock.start.timestamp()), 60)
    return f"{m:02d}:{s:02d}"


def watch(stack: LocalStack, stop: threading.Event) -> None:
    """Print each outbound SMS and each hotline callback as it appears."""
    names = {c["phone"]: c["clinician_id"] for c in seed.CLINICIANS}
    sms_seen = callbacks_seen = 0
    while not stop.wait(0.1):
        messages = stack.twilio.messages
        for m in messages[sms_seen:]:
            who = f" ({names[m.to]})" if m.to in names else ""
            print(f"[ladder {ladder_time(stack, m.at)}] SMS to {m.to}{who} : {m.body}")
        sms_seen = len(messages)
        callbacks = list(stack.receiver.callbacks)
        for c in callbacks[callbacks_seen:]:
            now = ladder_time(stack, stack.clock.now().timestamp())
            mark = "signature ok" if c.verified else "BAD SIGNATURE"
            print(f"[ladder {now}] hotline callback ({mark}): {c.payload}")
        callbacks_seen = len(callbacks)


def reply(stack: LocalStack, line: str) -> str:
    """`<clinician id or phone> <text>` delivered as an inbound SMS; returns what to print."""
    who, _, text = line.partition(" ")
    phone = who if who.startswith("+") else next(
        (c["phone"] for c in seed.CLINICIANS if c["clinician_id"] == who), None)
    if phone is None or not text.strip():
        return "usage: <clinician id or +phone> <text>   (type `help`)"
    with _API_LOCK:
        answer = stack.sms_reply(phone, text.strip())
    if answer.status != 200:
        return f"  (HTTP {answer.status}) {answer.body}"
    node = ET.fromstring(answer.body).find("Message")  # noqa: S314 (our own TwiML)
    return f"  reply to {phone}: {node.text if node is not None else '(no message)'}"


def run_rota(line: str) -> int:
    """`rota <args>`: `crisis-pager rota ...` in this process, against the running stack
    (its tables and its clock). Returns the command's exit status; never stops the prompt."""
    from admin import cli

    try:
        return cli.run_line(line)
    except Exception as exc:  # noqa: BLE001 (a CLI bug must not take the prompt down)
        print(f"  rota: failed: {exc!r}")
        return 1


def operator(stack: LocalStack, stdin: TextIO | None) -> None:
    """The prompt. Returns on `quit` or EOF; without a terminal, EOF means keep serving."""
    interactive = stdin is not None and stdin.isatty()
    while stdin is not None:
        if interactive:
            print("> ", end="", flush=True)
        line = stdin.readline()
        if not line:
            break
        line = line.strip()
        if line in ("quit", "exit"):
            return
        if line == "help":
            print(HELP)
        elif line == "rota" or line.startswith("rota "):
            run_rota(line)
        elif line:
            print(reply(stack, line))
    if not interactive:
        threading.Event().wait()  # until SIGINT / SIGTERM


def banner(stack: LocalStack, url: str, scale: float) -> str:
    on_call = ", ".join(f"{r['key'].split('#')[1]} {r['members'][0]}"
                        for r in seed.rotas(stack.clock.now()))
    secret, callback = stack.hotline_secret, stack.receiver.url
    curl = (
        "TS=$(date +%s); BODY='{\"program_id\":\"west-iop\",\"severity\":\"high\","
        "\"participant_ref\":\"p-curl01\",\"event_id\":\"curl-'$TS'\",\"summary\":"
        "\"Caller in acute distress.\",\"callback_url\":\"" + callback + "\"}'; "
        "SIG=$(printf '%s' \"$TS.POST./v1/escalations.$BODY\" | openssl dgst -sha256 -hmac "
        "\"$CRISIS_PAGER_HOTLINE_SECRET\" | sed 's/^.*= //'); "
        f"curl -sS {url}/v1/escalations -H 'Content-Type: application/json' "
        f"-H 'X-CrisisPager-Hotline: {HOTLINE_ID}' -H \"X-CrisisPager-Timestamp: $TS\" "
        "-H \"X-CrisisPager-Signature: v1=$SIG\" --data \"$BODY\"; echo"
    )
    return f"""\
crisis-pager local API on {url}   (scale {scale}: a 5-minute rung lasts {300 * scale:.0f} s)
  hotline id       {HOTLINE_ID}
  shared secret    {secret}
  callback_url     {callback}   (a stand-in hotline; callbacks print here)
  program          {seed.PROGRAM_ID}: {on_call}

From another shell, post a signed crisis:
  export CRISIS_PAGER_HOTLINE_SECRET={secret}
  .venv/bin/python -m local.post_escalation --url {url} --severity high --callback-url {callback}
or with curl + openssl (same export first):
  {curl}

Answer as a clinician here, e.g. `clin-ana A <code from the SMS>`; `help`, `quit`.
"""


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.serve", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default %(default)s")
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                        help="wall seconds per ladder second (default %(default)s)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM stops cleanly, like Ctrl-C
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # SMS lines show at once, even in a pipe

    with LocalStack(scale=args.scale,
                    public_base_url=f"http://127.0.0.1:{args.port}") as stack:
        seed.seed(stack)
        try:
            server = make_server(stack, args.port)
        except OSError as exc:
            print(f"cannot listen on {HOST}:{args.port}: {exc}; try --port", file=sys.stderr)
            return 1
        stop = threading.Event()
        threads = [threading.Thread(target=server.serve_forever, daemon=True),
                   threading.Thread(target=watch, args=(stack, stop), daemon=True)]
        for t in threads:
            t.start()
        print(banner(stack, f"http://{HOST}:{server.server_address[1]}", args.scale), flush=True)
        try:
            operator(stack, sys.stdin)
        except KeyboardInterrupt:
            pass
        finally:
            print("\nshutting down")
            server.shutdown()
            server.server_close()
            stop.set()
            threads[1].join(timeout=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
