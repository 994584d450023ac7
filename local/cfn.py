"""CloudFormation for the local stack's reading of ``template.yaml``: its YAML (short tags
such as ``!Ref``/``!Sub`` become their long ``{"Ref": ...}``/``{"Fn::Sub": ...}`` forms), the
errors a template's shape raises, and :func:`resolve`, which turns the simple intrinsics
into strings from the names the local stack gives them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import yaml


class TemplateError(ValueError):
    """The template has a shape the local stack cannot use."""


class UnresolvedReferenceError(TemplateError):
    """An intrinsic refers to something the given refs mapping does not provide."""

    def __init__(self, reference: str, expression: Any, known: Mapping[str, str]) -> None:
        self.reference = reference
        names = ", ".join(sorted(known)) or "none"
        super().__init__(
            f"cannot resolve reference {reference!r} in {json.dumps(expression)}; "
            f"known references: {names}"
        )


# ----------------------------------------------------------------------------- YAML


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags into their long (JSON) form.

    A subclass, so the process-wide ``yaml.SafeLoader`` is left alone.
    """


def _construct_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    key = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - yaml has no other node kinds
        raise TemplateError(f"unexpected YAML node for !{suffix}")
    return {key: value}


CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def parameter_default(spec: dict[str, Any]) -> str | None:
    """A template parameter's Default as CloudFormation passes it (text)."""
    if "Default" not in spec:
        return None
    value = spec["Default"]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def literal(logical_id: str, what: str, value: Any) -> Any:
    """Reject intrinsics where the local stack needs literal values (key schemas etc.)."""
    if isinstance(value, dict):
        if any(k == "Ref" or k.startswith("Fn::") for k in value):
            raise TemplateError(f"{logical_id}: {what} must be literal, got {json.dumps(value)}")
        return {k: literal(logical_id, what, v) for k, v in value.items()}
    if isinstance(value, list):
        return [literal(logical_id, what, v) for v in value]
    return value


# ----------------------------------------------------------------------------- intrinsics

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


def resolve(value: Any, refs: Mapping[str, str], *, context: str = "") -> str:
    """Resolve a literal or a simple intrinsic to a string using ``refs``.

    ``{"Ref": X}`` -> ``refs[X]`` (pseudo parameters too: ``refs["AWS::Region"]``);
    ``{"Fn::GetAtt": [X, A]}`` or ``"X.A"`` -> ``refs["X.A"]``; ``{"Fn::Sub": s}`` or
    ``{"Fn::Sub": [s, {vars}]}`` replaces ``${Name}``/``${X.A}`` (``${!Literal}`` escapes);
    ``{"Fn::Join": [sep, [parts]]}``. Anything else raises :class:`TemplateError`;
    a missing name raises :class:`UnresolvedReferenceError` naming it.
    """
    try:
        return _resolve(value, refs)
    except TemplateError as exc:
        if context:
            exc.args = (f"{context}: {exc.args[0]}",)
        raise


def _lookup(name: str, refs: Mapping[str, str], expression: Any) -> str:
    if refs.get(name) is None:
        raise UnresolvedReferenceError(name, expression, refs)
    return str(refs[name])


def _resolve(value: Any, refs: Mapping[str, str]) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, dict) or len(value) != 1:
        raise TemplateError(f"cannot resolve {json.dumps(value)} to a string")
    (fn, arg), = value.items()
    if fn == "Ref" and isinstance(arg, str):
        return _lookup(arg, refs, value)
    if fn == "Fn::GetAtt":
        parts = arg.split(".", 1) if isinstance(arg, str) else arg
        if isinstance(parts, list) and len(parts) == 2 and all(isinstance(p, str) for p in parts):
            return _lookup(f"{parts[0]}.{parts[1]}", refs, value)
    if fn == "Fn::Sub":
        return _sub(arg, refs, value)
    if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
        return _resolve(arg[0], refs).join(_resolve(part, refs) for part in arg[1])
    raise TemplateError(f"unsupported intrinsic {json.dumps(value)} (the local stack resolves "
                        "Ref, Fn::GetAtt, Fn::Sub and Fn::Join)")


def _sub(arg: Any, refs: Mapping[str, str], expression: Any) -> str:
    if isinstance(arg, str):
        text, variables = arg, {}
    elif (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)
          and isinstance(arg[1], dict)):
        text = arg[0]
        variables = {name: _resolve(v, refs) for name, v in arg[1].items()}
    else:
        raise TemplateError(f"malformed Fn::Sub {json.dumps(expression)}")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return variables[name]
        return _lookup(name, refs, expression)

    return _SUB_VAR.sub(replace, text)
