"""Printing the stack figures: AWS calls per invocation, handler wall times, crisis care,
the cold-start estimate."""

from __future__ import annotations

import statistics
from collections import Counter

from benchmarks.common import SCALE, breakdown, folders, ms, p95, table
from benchmarks.containers import Invocation
from benchmarks.imports import Imports
from benchmarks.scenarios import StackFigures


def print_calls(fig: StackFigures) -> None:
    ladder = fig.ladder.records
    first = {f: next((r for r in ladder if r.folder == f), None) for f in folders()}
    pages = [r for r in ladder if r.folder == "page_rung"]
    print("2. AWS API calls per handler invocation (local stack; counted while the handler runs)")
    rows: list[list[str]] = []

    def row(label: str, inv: Invocation | None) -> None:
        if inv is not None:
            rows.append([label, "cold" if inv.cold else "warm", str(sum(inv.calls.values())),
                         breakdown(inv.calls)])

    row("(a) intake POST", first["hotline_intake"])
    row("(a) intake POST", fig.cold_accept.intake)
    row("(b) page_rung, one rung", first["page_rung"])
    row("(b) page_rung, one rung", pages[1] if len(pages) > 1 else None)
    row("(c) SMS acceptance", fig.cold_accept.sms)
    row("(c) SMS acceptance", fig.warm_accept.sms)
    for inv in fig.warm_accept.after:
        row(f"    then {inv.folder}", inv)
    row("advance (pages a rung)", first["advance"])
    row("emergency_referral", first["emergency_referral"])
    row("hotline_callback (referred)", first["hotline_callback"])
    table(["what", "container", "calls", "by service.operation"], rows, right={2})
    whole: Counter[str] = Counter()
    for r in ladder:
        whole.update(r.calls)
    per_fn = Counter[str]()
    for r in ladder:
        per_fn[r.folder] += sum(r.calls.values())
    print(f"   whole no-answer ladder: {sum(whole.values())} calls in {len(ladder)} invocations ("
          + ", ".join(f"{f} {n}" for f, n in per_fn.most_common()) + ")")
    print(f"     {breakdown(whole)}")
    print()


def _timing_row(label: str, mine: list[Invocation]) -> list[str]:
    cold = next((r for r in mine if r.cold), None)
    warm = [r for r in mine if not r.cold]
    walls = [r.wall_s for r in warm]
    built = (len(cold.models) if cold else 0, sum(len(r.models) for r in warm))
    return [label, str(len(mine)), ms(cold.wall_s) if cold else "-",
            ms(cold.gc_s) if cold else "-",
            ms(statistics.median(walls)) if walls else "-",
            ms(statistics.median(r.aws_s for r in warm)) if warm else "-",
            ms(statistics.median(r.wall_s - r.aws_s for r in warm)) if warm else "-",
            ms(p95(walls)) if walls else "-", ms(max(walls)) if walls else "-",
            ms(max(r.gc_s for r in warm)) if warm else "-",
            f"{built[0]} / {built[1]}"]


TIMING_HEADERS = ["handler", "n", "cold", "of it gc", "median", "in AWS", "rest", "p95", "max",
                  "gc max", "ddb clients cold / warm"]
TIMING_RIGHT = set(range(1, len(TIMING_HEADERS)))


def print_ladder(fig: StackFigures) -> None:
    lad = fig.ladder
    m, s = divmod(round(lad.ladder_s), 60)
    print(f"3. No-answer `high` ladder at scale {SCALE} (one ladder minute = {SCALE * 60:.2f} s)")
    print(f"   POST -> execution end: {lad.wall_s:.2f} s wall, ladder time {m}:{s:02d} "
          f"({lad.ladder_s:.0f} s), {lad.pages} pages, status {lad.status}; "
          f"local stack up in {fig.up_s:.2f} s")
    busy = sum(r.wall_s for r in lad.records)
    print(f"   handlers busy {busy:.2f} s of it ({sum(r.aws_s for r in lad.records):.2f} s inside "
          "moto); the rest is rung windows and the Step Functions engine")
    print("   per handler during the ladder (wall ms; median/in AWS/rest/p95/max over warm "
          "invocations; gc: garbage collection on the handler's thread)")
    rows = [_timing_row(f, [r for r in lad.records if r.folder == f]) for f in folders()
            if any(r.folder == f for r in lad.records)]
    table(TIMING_HEADERS, rows, right=TIMING_RIGHT)
    accepts = fig.accepts
    ok = sum(1 for a in accepts if "Accepted" in a.answer and a.status == "SUCCEEDED")
    print(f"   API handlers over {len(accepts)} acceptance runs (POST, page, 'A <code>' at once; "
          f"{ok}/{len(accepts)} accepted and succeeded)")
    rows = [
        _timing_row("hotline_intake", [a.intake for a in accepts]),
        _timing_row("sms_inbound", [a.sms for a in accepts]),
    ]
    table(TIMING_HEADERS, rows, right=TIMING_RIGHT)
    if fig.errors:
        print(f"   handler errors: {[(f, repr(e)) for f, e in fig.errors]}")
    print()


def _hms(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


def print_care(fig: StackFigures) -> None:
    care, accepts, lad = fig.care, fig.accepts, fig.ladder
    print("7. Crisis care (issue 5): AWS calls per invocation (local stack), then wall ms")
    rows: list[list[str]] = []

    def row(label: str, inv: Invocation | None, container: str | None = None) -> None:
        if inv is not None:
            rows.append([label, container or ("cold" if inv.cold else "warm"),
                         str(sum(inv.calls.values())), breakdown(inv.calls)])

    first, last = accepts[0], accepts[-1]
    row("brief GET (PHI-free preview)", first.preview)
    row("brief GET (PHI-free preview)", last.preview)
    row("brief POST action=open, first", first.opened, "warm")
    row("brief POST action=open", last.opened)
    refer = [r for r in lad.records if r.folder == "emergency_referral"]
    row("emergency_referral, referral step",
        next((r for r in refer if (r.action or "").startswith("referred")), None))
    row("emergency_referral, support persons",
        next((r for r in refer if (r.action or "").startswith("notified")), None))
    row("hotline_callback (referred)", next(
        (r for r in lad.records if r.folder == "hotline_callback"), None))
    low = care.low_wait
    wait_s = low.result.get("wait_s") if isinstance(low.result, dict) else None
    row(f"advance, low after hours ({low.action}"
        + (f" {_hms(wait_s)})" if wait_s else ")"), low)
    imm = care.imminent[-1]
    row(f"advance, imminent first rung ({imm.advance.action})", imm.advance)
    row(f"page_rung, imminent primary ({imm.outcome})", imm.page)
    for inv in imm.webhooks:
        row(f"    then {inv.folder}", inv)
    fu = care.follow_up
    row("sms_inbound 'R <code>' (high, accepted)", fu.resolve)
    wait_s = fu.wait.result.get("wait_s") if isinstance(fu.wait.result, dict) else None
    row(f"    then advance, follow-up ({fu.wait.action}"
        + (f" {_hms(wait_s)})" if wait_s else ")"), fu.wait)
    row("sms_inbound 'F <code> tried'", fu.tried)
    row("sms_inbound 'F <code> done'", fu.done)
    table(["what", "container", "calls", "by service.operation"], rows, right={2})
    print(f"   brief: {sum(a.preview_ok for a in accepts)}/{len(accepts)} GETs answered the "
          f"interstitial without the plan, {sum(a.opened_ok for a in accepts)}/{len(accepts)} "
          "POSTs the brief with the plan")
    print(f"   referral from the participant's local resources: "
          f"{'yes' if lad.local_referral else 'NO'}; support person texted "
          f"{lad.support_texts} time(s)")
    print(f"   imminent: page_rung outcomes {[i.outcome for i in care.imminent]}, calls placed "
          f"{[i.calls_placed for i in care.imminent]}")
    print(f"   answers: R {fu.resolved_answer!r}")
    print(f"            F tried {fu.tried_answer!r}; F done {fu.done_answer!r}")
    print("   wall ms (median/in AWS/rest/p95/max over warm invocations)")
    table(TIMING_HEADERS, [
        _timing_row("clinician_brief GET", [a.preview for a in accepts if a.preview]),
        _timing_row("clinician_brief POST open", [a.opened for a in accepts if a.opened]),
        _timing_row("page_rung imminent (+voice)", [i.page for i in care.imminent]),
        _timing_row("advance imminent 1st rung", [i.advance for i in care.imminent]),
        _timing_row("sms_inbound R / F / F", [fu.resolve, fu.tried, fu.done]),
    ], right=TIMING_RIGHT)
    print()


def cold_invocations(fig: StackFigures) -> dict[str, Invocation]:
    return {r.folder: r for r in reversed(fig.records) if r.cold}


def later_models(fig: StackFigures) -> dict[str, list[str]]:
    """PynamoDB clients each function's warm invocations still had to build."""
    later: dict[str, list[str]] = {}
    for r in fig.records:
        if not r.cold and r.models:
            later.setdefault(r.folder, []).extend(r.models)
    return later


def print_estimate(imports: Imports, fig: StackFigures) -> None:
    """Init + the first invocation's own setup, as a Lambda on this machine would pay it."""
    # The models share one botocore client (adapters/dynamo/tables.py): the first model's
    # first request builds it, the others' cost nothing (the probe measures them in turn).
    client = max(
        statistics.median(v) for v in imports.model_client_s.values()
    ) if imports.model_client_s else 0.0
    cold = cold_invocations(fig)
    later = later_models(fig)
    print("5. Cold start estimate per function on this machine (ms): import + wiring + the "
          "one DynamoDB client its PynamoDB models share, when its first invocation used any")
    rows = []
    for f in imports.functions:
        inv = cold.get(f.folder)
        n = len(inv.models) if inv else 0
        imp, wire = statistics.median(f.import_s), statistics.median(f.wiring_s)
        rows.append([f.folder, ms(imp), ms(wire), f"{ms(client if n else 0.0)} ({n} models)",
                     ms(imp + wire + (client if n else 0.0)),
                     ", ".join(inv.models) if inv else "(not invoked)",
                     ", ".join(later.get(f.folder, [])) or "-"])
    table(["function", "import", "wiring", "ddb client", "total", "models used",
           "built later (warm)"], rows, right={1, 2, 3, 4})
    print()
