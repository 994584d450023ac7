"""API Gateway's REST API in front of the handlers, on one machine.

:class:`Routes` holds the API events of template.yaml (method, path template, function) and
matches a request to one as API Gateway does (``/v1/escalations/{incident_id}``: a segment
in braces matches any one segment and becomes a path parameter); :func:`rest_event` is the
REST proxy event the function gets, and :func:`proxy_response` maps the function's proxy
result back to an HTTP answer. A request no route matches is answered 404 with API
Gateway's ``Missing Authentication Token`` message (:func:`missing_route`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from local.resources import ACCOUNT


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class Routes:
    """The API's routes, in template order: (METHOD, path template) -> function folder."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, str, str]] = []  # (method, path template, folder)

    def add(self, method: str, template_path: str, folder: str) -> None:
        self._routes.append((method.upper(), template_path, folder))

    def route(self, method: str, path: str, body: str,
              headers: dict[str, str]) -> tuple[str, dict[str, Any]] | None:
        """The folder of the function that answers ``method path`` (``path`` may carry a
        query string) and the proxy event it gets; None when no route matches."""
        method = method.upper()
        path, _, query = path.partition("?")
        for route_method, template_path, folder in self._routes:
            params = match(template_path, path)
            if route_method == method and params is not None:
                return folder, rest_event(method, template_path, path, params, body, headers,
                                          query)
        return None


def match(template_path: str, path: str) -> dict[str, str] | None:
    """The path parameters of ``path`` under ``template_path``; None when it does not match."""
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


def rest_event(method: str, resource: str, path: str, params: dict[str, str], body: str,
               headers: dict[str, str], query: str = "") -> dict[str, Any]:
    """API Gateway's REST proxy event for a request routed to ``resource``."""
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


def proxy_response(result: dict[str, Any]) -> ApiResponse:
    """The HTTP answer to a function's proxy result."""
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    # Powertools' REST resolver answers with multiValueHeaders, as API Gateway accepts them.
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers.setdefault(key, ", ".join(str(v) for v in values))
    return ApiResponse(int(result["statusCode"]), headers, result.get("body") or "")


def missing_route() -> ApiResponse:
    """What API Gateway answers a request that matches no route."""
    return ApiResponse(404, {}, json.dumps({"message": "Missing Authentication Token"}))
