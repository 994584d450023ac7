"""Binds the DynamoDB models to their tables, once, from settings.

Nothing here reads settings at import: a model names the :class:`Settings` field that holds
its table (``setting``), and :func:`bind` (called by bootstrap, by the admin CLI and by the
test fixtures) gives every model its table name and region. A model used before
:func:`bind` raises :class:`TablesNotBound`, never talks to a default table.

Every model shares one botocore client. PynamoDB builds a connection per model, each with
its own botocore session: about 60 ms for each model's first call on a cold start, as each
session loads DynamoDB's service model again. One client loads it once.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ClassVar

from pynamodb.attributes import MapAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.models import Model

if TYPE_CHECKING:
    from ...config import Settings

_models: list[type[TableModel]] = []
_bound: Settings | None = None
_shared: Connection | None = None
_lock = threading.Lock()


class TablesNotBound(RuntimeError):
    pass


class TableModel(Model):
    """A model whose table is the :class:`Settings` field ``setting``, named by bind()."""

    setting: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        with _lock:
            _models.append(cls)
            if _bound is not None:  # a module imported after bind(): bind its models too
                _name(cls, _bound)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        if _bound is None:
            raise TablesNotBound(
                f"{cls.__name__}: the DynamoDB tables are not bound; call "
                "crisis_pager.adapters.dynamo.tables.bind(settings) first (bootstrap does)")
        table = super()._get_connection()
        if table.connection._client is None:  # a new TableConnection: lend it the client
            table.connection._client = connection().client
        return table


def bind(settings: Settings) -> None:
    """Name every model's table and region from ``settings``. Binding the same settings
    again does nothing; other settings rebind every model (tests, an in-process CLI)."""
    global _bound, _shared
    with _lock:
        if _bound == settings:
            return
        for model in _models:
            _name(model, settings)
        _shared = None
        _bound = settings


def _name(model: type[TableModel], settings: Settings) -> None:
    model.Meta.table_name = getattr(settings, model.setting)
    model.Meta.region = settings.region
    model._connection = None


def bound() -> Settings | None:
    """The settings the models are bound to, if any."""
    return _bound


def connection() -> Connection:
    """The one PynamoDB connection whose botocore client every model uses (transactions
    take it too)."""
    global _shared
    if _bound is None:
        raise TablesNotBound("the DynamoDB tables are not bound")
    with _lock:
        if _shared is None:
            _shared = Connection(region=_bound.region)
            _shared.client  # noqa: B018 - built once, here, not per model
        return _shared


def plain(value: Any) -> Any:
    """Raw map/list attributes come back as MapAttribute/Decimal; make plain Python."""
    if isinstance(value, MapAttribute):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, float)):
        return int(value) if value == int(value) else float(value)
    return value
