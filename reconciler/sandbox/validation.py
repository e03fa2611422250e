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
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, ForwardRef, NotRequired, Required

import stripe.params
from typing_extensions import is_typeddict

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


@cache
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
    checker = _BY_NAME.get(cls_name)
    if checker is None:
        checker = _BY_NAME[cls_name] = _typeddict_checker(params_class(cls_name))
    return checker(data, "")  # type: ignore[no-any-return]


# Walking typing annotations per request (get_origin, eval of forward references)
# cost more than the rest of a request: each type is compiled once into a
# closure `check(value, param) -> typed value` with exactly the walk's rules.
Checker = Callable[[Any, str], Any]
_BY_NAME: dict[str, Checker] = {}
_TYPEDDICTS: dict[type, Checker] = {}
_COMPILED: dict[tuple[Any, int], Checker] = {}


class _TypedDictChecker:
    """Checks one TypedDict; field checkers are compiled on first use (types may recurse)."""

    __slots__ = ("fields", "required", "checkers")

    def __init__(self, cls: type) -> None:
        self.fields, self.required = _fields(cls)
        self.checkers: dict[str, Checker] = {}

    def __call__(self, data: Any, prefix: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise InvalidRequest(f"Invalid object for {prefix or 'request'}", param=prefix or None)
        checkers = self.checkers
        out: dict[str, Any] = {}
        for name, value in data.items():
            param = f"{prefix}[{name}]" if prefix else name
            check = checkers.get(name)
            if check is None:
                resolved = self.fields.get(name)
                if resolved is None:
                    raise ParameterUnknown(param)
                check = checkers[name] = _compile(resolved.tp, resolved.namespace)
            out[name] = check(value, param)
        if self.required:
            for name in sorted(self.required - data.keys()):
                raise ParameterMissing(f"{prefix}[{name}]" if prefix else name)
        return out


def _typeddict_checker(cls: type) -> Checker:
    checker = _TYPEDDICTS.get(cls)
    if checker is None:
        checker = _TYPEDDICTS[cls] = _TypedDictChecker(cls)
    return checker


def _compile(tp: Any, namespace: dict[str, Any]) -> Checker:
    try:
        key = (tp, id(namespace))
        found = _COMPILED.get(key)
    except TypeError:  # an unhashable annotation: compile it every time
        return _build(tp, namespace)
    if found is None:
        found = _COMPILED[key] = _build(tp, namespace)
    return found


def _build(tp: Any, namespace: dict[str, Any]) -> Checker:
    tp = _resolve(tp, namespace)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _build_union(typing.get_args(tp), namespace)
    if origin is typing.Literal:
        return _build_literal(typing.get_args(tp))
    if tp is str:
        return _check_str
    if tp is bool:
        return _check_bool
    if tp is int:
        return _check_int
    if tp in (float, Decimal):
        return _check_decimal
    if origin in (list, list):
        (inner,) = typing.get_args(tp) or (Any,)
        item = _compile(inner, namespace)

        def check_list(value: Any, param: str) -> list[Any]:
            items = _as_list(value, param)
            return [item(v, f"{param}[{i}]") for i, v in enumerate(items)]

        return check_list
    if origin in (dict, dict) or _is_untyped_object(tp):
        args = typing.get_args(tp)
        entry = _compile(args[-1] if args else Any, namespace)

        def check_dict(value: Any, param: str) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise InvalidRequest(f"Invalid object for {param}", param=param)
            return {k: entry(v, f"{param}[{k}]") for k, v in value.items()}

        return check_dict
    if is_typeddict(tp):
        return _typeddict_checker(tp)
    return _accept


def _accept(value: Any, param: str) -> Any:
    return value


def _build_literal(choices: tuple[Any, ...]) -> Checker:
    shown = " or ".join(repr(c) if c == "" else str(c) for c in choices)

    def check_literal(value: Any, param: str) -> Any:
        if value in choices:
            return value
        if value == "" and "" not in choices:
            raise ParameterInvalidEmpty(param)
        raise InvalidRequest(f"Invalid {param}: must be one of {shown}", param=param)

    return check_literal


def _check_str(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"Invalid string: {_shown(value)}", param=param)
    return value


def _check_bool(value: Any, param: str) -> bool:
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    if value == "":
        raise ParameterInvalidEmpty(param)
    raise InvalidRequest(f"Invalid boolean: {_shown(value)}", param=param)


def _check_int(value: Any, param: str) -> int:
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)
    if value == "":
        raise ParameterInvalidEmpty(param)
    raise ParameterInvalidInteger(param, _shown(value))


def _check_decimal(value: Any, param: str) -> Decimal:
    if value == "":
        raise ParameterInvalidEmpty(param)
    try:
        return Decimal(value) if isinstance(value, str) else _fail()
    except (InvalidOperation, TypeError):
        raise InvalidRequest(f"Invalid decimal: {_shown(value)}", param=param) from None


def _fail() -> Any:
    raise TypeError


def _is_untyped_object(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return getattr(origin, "__name__", "") in ("UntypedStripeObject", "StripeObject")


def _is_empty_only(tp: Any) -> bool:
    return typing.get_origin(tp) is typing.Literal and typing.get_args(tp) == ("",)


def _build_union(options: tuple[Any, ...], namespace: dict[str, Any]) -> Checker:
    resolved = [_resolve(o, namespace) for o in options]
    # The SDK widens enums with `|str` for forward compatibility; the API does not.
    has_enum = any(typing.get_origin(o) is typing.Literal and typing.get_args(o) != ("",) for o in resolved)
    if has_enum:
        resolved = [o for o in resolved if o is not str]
    empty_allowed = any(typing.get_origin(o) is typing.Literal and "" in typing.get_args(o) for o in resolved)
    checkers = [_compile(o, namespace) for o in resolved if not _is_empty_only(o)]

    def check_union(value: Any, param: str) -> Any:
        if empty_allowed and value == "":
            return ""
        first_error: InvalidRequest | None = None
        for check in checkers:
            try:
                return check(value, param)
            except InvalidRequest as exc:
                first_error = first_error or exc
        if first_error is None:
            raise ParameterInvalidEmpty(param)
        raise first_error

    return check_union


def _as_list(value: Any, param: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    raise InvalidRequest(f"Invalid array for {param}", param=param)


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else "an object"
