"""How the modules of ``local.moto`` patch moto, and how each checks that it still can.

- One registry of what was replaced (:func:`replace`, :func:`put_back`), so that
  ``local.moto.restore()`` puts back every patch whichever module installed it, and
  :func:`original` finds moto's own object even while a patch stands in for it.
- One lock (:data:`LOCK`) that every patch is installed and removed under.
- :func:`check_moto`, which each patch module's ``verify()`` calls with its own checks of
  moto's internals: it raises :class:`MotoMoved` naming every check that failed and the
  module whose patch relies on it.

moto is imported only when a patch is installed or checked (by module name, at call time),
never when ``local.moto`` is imported.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

PINNED_MOTO_VERSION = "5.2.5"

PARSER = "moto.stepfunctions.parser.asl"  # moto's Step Functions interpreter
TASK = f"{PARSER}.component.state.exec.state_task"

# Held while any patch is installed, removed or reconfigured.
LOCK = threading.RLock()

# (module name, attribute path) -> (owner object, attribute name, original value)
_originals: dict[tuple[str, str], tuple[Any, str, Any]] = {}

# A check of moto: what it should provide (named in the error), and whether it does.
Check = tuple[str, Callable[[], bool]]


class MotoMoved(RuntimeError):
    """The installed moto no longer provides what a patch relies on. ``problems`` maps each
    patch module (``local.moto.timing``, ...) to the checks of moto that failed."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = problems
        version = getattr(sys.modules.get("moto"), "__version__", "?")
        found = "; ".join(f"{part}: {problem}"
                          for part, failed in problems.items() for problem in failed)
        files = ", ".join(part.replace(".", "/") + ".py" for part in problems)
        super().__init__(
            f"the installed moto {version} (pinned: {PINNED_MOTO_VERSION}) no longer provides "
            f"what the local stack patches: {found}. Pin moto back or update {files}."
        )


def check_moto(part: str, checks: Callable[[], Iterable[Check]]) -> bool:
    """Run ``part``'s checks against moto's original objects (also after patching); True
    when all pass, else :class:`MotoMoved` naming every one that failed."""
    problems: list[str] = []
    for label, ok in checks():
        try:
            good = ok()
        except Exception as exc:  # a missing module/attribute, unreadable source, ...
            problems.append(f"{label} ({type(exc).__name__}: {exc})")
            continue
        if not good:
            problems.append(label)
    if problems:
        raise MotoMoved({part: problems})
    return True


def module(name: str) -> Any:
    return importlib.import_module(name)


def original(module_name: str, path: str) -> Any:
    """moto's own ``module_name``.``path`` (``Class.method`` or a module attribute), also
    while a patch replaces it."""
    saved = _originals.get((module_name, path))
    if saved is not None:
        return saved[2]
    owner: Any = module(module_name)
    *parents, attr = path.split(".")
    for part in parents:
        owner = getattr(owner, part)
    # vars() rather than getattr for classes: a method defined on the class itself.
    if inspect.isclass(owner) and attr in vars(owner):
        return vars(owner)[attr]
    return getattr(owner, attr)


def params(module_name: str, path: str) -> list[str]:
    """The parameter names of moto's original callable."""
    return list(inspect.signature(original(module_name, path)).parameters)


def source(module_name: str, path: str) -> str:
    """The source of moto's original function or class."""
    return inspect.getsource(original(module_name, path))


def is_replaced(key: tuple[str, str]) -> bool:
    return key in _originals


def replace(key: tuple[str, str], owner: Any, attr: str, new: Any) -> None:
    """Set ``owner.attr`` to ``new``, remembering moto's value under ``key`` the first time."""
    if key not in _originals:
        _originals[key] = (owner, attr, owner.__dict__.get(attr, getattr(owner, attr)))
    setattr(owner, attr, new)


def put_back(key: tuple[str, str]) -> None:
    owner, attr, value = _originals.pop(key)
    setattr(owner, attr, value)


def put_back_all() -> None:
    for key in list(_originals):
        put_back(key)
