"""One short ladder on the local stack with what `sam build` made: the handlers from the
built function folders, crisis_pager from the built layer (first on sys.path, see
test_built_ladder.py). A crisis is posted, the primary is paged, a signed reply accepts it
and the hotline gets the accepted callback. Prints what happened as one JSON line.

    python -P -m tests.built.built_ladder .aws-sam/build
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from local import seed
from local.stack import LocalStack
from tests.ladder.conftest import open_incident, pages, wait_for_pages

SCALE = 0.001  # one ladder second = 1 ms: the 5-minute first rung waits 0.3 s


def main(build_dir: Path) -> None:
    primary = seed.phone_of("clin-ana")
    with LocalStack(scale=SCALE, build_dir=build_dir) as stack:
        seed.seed(stack)
        incident_id, code = open_incident(stack)
        wait_for_pages(stack, code, 1)
        answer = stack.sms_reply(primary, f"A {code}")
        status = stack.wait_until_done(incident_id, timeout=60)
        stack.wait_for(lambda: bool(stack.receiver.events(incident_id)), timeout=30)
        facts = {
            "reply": [answer.status, answer.body],
            "execution": status,
            "incident": stack.incident(incident_id).status.value,
            "paged": [phone for phone, _ in pages(stack, code)],
            "primary": primary,
            "callbacks": stack.receiver.events(incident_id),
            "verified": all(c.verified for c in stack.receiver.callbacks),
            "errors": [f"{folder}: {exc!r}" for folder, exc in stack.errors],
        }
    facts["modules"] = {name: getattr(module, "__file__", None)
                        for name, module in list(sys.modules.items())
                        if name.split(".")[0] in ("crisis_pager", "functions")
                        or name.startswith("_built_")}
    sys.stdout.write(json.dumps(facts) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
