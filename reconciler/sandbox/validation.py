"""Request parameters checked against the installed SDK's `stripe.params` TypedDicts.

The SDK describes every endpoint's parameters (names, nesting, types, literal
enums); walking those annotations keeps the sandbox exactly as strict as the
SDK version the tool pins, so it cannot accept what real Stripe rejects.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, ForwardRef

import stripe.params
from typing_extensions import NotRequired, Required, is_typeddict

from reconciler.sandbox.exceptions import (
    InvalidRequest,
    ParameterInvalidEmpty,
    ParameterInvalidInteger,
    ParameterMissing,
    ParameterUnknown,
)

# Keys TypedDicts inherit from RequestOptions: client options, not body params.
REQUEST_OPTIONS = frozenset(
    {"api_key", "stripe_version", "stripe_account", "stripe_context", "max_network_retries",
     "idempotency_key", "content_type", "headers"}
)
_INTEGER = re.compile(r"^-?\d+$")


def params_class(name: str) -> type:
    return getattr(stripe.params, name)  # type: ignore[no-any-return]


@lru_cache(maxsize=None)
def _fields(cls: type) -> tuple[dict[str, Any], frozenset[str]]:
    """(name -> resolved type, required names) of one TypedDict, options removed."""
    hints: dict[str, Any] = {}
    required: set[str] = set()
    for klass in reversed(cls.__mro__):
        raw = klass.__dict__.get("__annotations__", {})
        namespace = vars(sys.modules[klass.__module__])
        for name, annotation in raw.items():
            if name in REQUEST_OPTIONS:
                continue
            resolved = _resolve(annotation, namespace)
            is_required = not _is_wrapped(resolved, NotRequired)
            if _is_wrapped(resolved, NotRequired) or _is_wrapped(resolved, Required):
                resolved = _resolve(typing.get_args(resolved)[0], namespace)
            hints[name] = _Resolved(resolved, namespace)
            if is_required and getattr(cls, "__total__", True):
                required.add(name)
            elif _is_wrapped(annotation, Required):
                required.add(name)
    return hints, frozenset(required)


class _Resolved:
    """A type plus the namespace its forward references resolve in."""

    __slots__ = ("tp", "namespace")

    def __init__(self, tp: Any, namespace: dict[str, Any]) -> None:
        self.tp = tp
        self.namespace = namespace


def _is_wrapped(tp: Any, wrapper: Any) -> bool:
    return typing.get_origin(tp) is wrapper


def _resolve(tp: Any, namespace: dict[str, Any]) -> Any:
    if isinstance(tp, str):
        return eval(tp, namespace)  # noqa: S307 - the SDK's own annotation strings
    if isinstance(tp, ForwardRef):
        return eval(tp.__forward_arg__, namespace)  # noqa: S307
    return tp


def validate(cls_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The request's parameters, typed; raises Stripe's parameter errors."""
    return _check_typeddict(params_class(cls_name), data, "")


def _check_typeddict(cls: type, data: Any, prefix: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidRequest(f"Invalid object for {prefix or 'request'}", param=prefix or None)
    fields, required = _fields(cls)
    out: dict[str, Any] = {}
    for name, value in data.items():
        param = f"{prefix}[{name}]" if prefix else name
        if name not in fields:
            raise ParameterUnknown(param)
        resolved = fields[name]
        out[name] = _check(resolved.tp, resolved.namespace, value, param)
    for name in sorted(required - set(data)):
        raise ParameterMissing(f"{prefix}[{name}]" if prefix else name)
    return out


def _check(tp: Any, namespace: dict[str, Any], value: Any, param: str) -> Any:
    tp = _resolve(tp, namespace)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _check_union(typing.get_args(tp), namespace, value, param)
    if origin is typing.Literal or origin is getattr(typing, "Literal", None):
        choices = typing.get_args(tp)
        if value in choices:
            return value
        if value == "" and "" not in choices:
            raise ParameterInvalidEmpty(param)
        shown = " or ".join(repr(c) if c == "" else str(c) for c in choices)
        raise InvalidRequest(f"Invalid {param}: must be one of {shown}", param=param)
    if tp is str:
        if not isinstance(value, str):
            raise InvalidRequest(f"Invalid string: {_shown(value)}", param=param)
        return value
    if tp is bool:
        if value in ("true", True):
            return True
        if value in ("false", False):
            return False
        if value == "":
            raise ParameterInvalidEmpty(param)
        raise InvalidRequest(f"Invalid boolean: {_shown(value)}", param=param)
    if tp is int:
        if isinstance(value, str) and _INTEGER.match(value):
            return int(value)
        if value == "":
            raise ParameterInvalidEmpty(param)
        raise ParameterInvalidInteger(param, _shown(value))
    if tp in (float, Decimal):
        if value == "":
            raise ParameterInvalidEmpty(param)
        try:
            return Decimal(value) if isinstance(value, str) else _fail()
        except (InvalidOperation, TypeError):
            raise InvalidRequest(f"Invalid decimal: {_shown(value)}", param=param) from None
    if origin in (list, typing.List):
        (inner,) = typing.get_args(tp) or (Any,)
        items = _as_list(value, param)
        return [_check(inner, namespace, v, f"{param}[{i}]") for i, v in enumerate(items)]
    if origin in (dict, typing.Dict) or _is_untyped_object(tp):
        args = typing.get_args(tp)
        inner = args[-1] if args else Any
        if not isinstance(value, dict):
            raise InvalidRequest(f"Invalid object for {param}", param=param)
        return {k: _check(inner, namespace, v, f"{param}[{k}]") for k, v in value.items()}
    if is_typeddict(tp):
        return _check_typeddict(tp, value, param)
    return value


def _fail() -> Any:
    raise TypeError


def _is_untyped_object(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return getattr(origin, "__name__", "") in ("UntypedStripeObject", "StripeObject")


def _check_union(options: tuple[Any, ...], namespace: dict[str, Any], value: Any, param: str) -> Any:
    resolved = [_resolve(o, namespace) for o in options]
    # The SDK widens enums with `|str` for forward compatibility; the API does not.
    has_enum = any(typing.get_origin(o) is typing.Literal and typing.get_args(o) != ("",) for o in resolved)
    if has_enum:
        resolved = [o for o in resolved if o is not str]
    if value == "" and any(typing.get_origin(o) is typing.Literal and "" in typing.get_args(o) for o in resolved):
        return ""
    first_error: InvalidRequest | None = None
    for option in resolved:
        if typing.get_origin(option) is typing.Literal and typing.get_args(option) == ("",):
            continue
        try:
            return _check(option, namespace, value, param)
        except InvalidRequest as exc:
            first_error = first_error or exc
    if first_error is None:
        raise ParameterInvalidEmpty(param)
    raise first_error


def _as_list(value: Any, param: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    raise InvalidRequest(f"Invalid array for {param}", param=param)


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else "an object"
