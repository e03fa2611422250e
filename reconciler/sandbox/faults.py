"""Injected faults: latency, a rate limit, 500s, responses lost after commit,
and targeted failures (`fail_routes`) that make chosen requests fail."""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from reconciler.sandbox.exceptions import ApiError, InvalidRequest, PermissionDenied, RateLimited, StripeApiError

_METHODS = ("GET", "POST", "DELETE")
# A path segment in a rule that matches any one segment (an object id).
_ANY_SEGMENT = ("{id}", "*")


@dataclass(frozen=True)
class FailRule:
    """Answer matching requests with an error instead of executing them.

    `path_prefix` is matched segment by segment ("/v1/invoices" matches
    "/v1/invoices/in_1/finalize", not "/v1/invoicesx"; "{id}" or "*" matches
    any one segment). `params` are form fields the request must carry, by
    their wire names ({"metadata[reconciler_key]": "i1"}), so one object's
    request can be singled out. `times`: strike that many times, then stop;
    None: always.
    """

    path_prefix: str
    status: int
    method: str | None = None
    code: str | None = None
    message: str | None = None
    times: int | None = None
    params: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str, form: Callable[[], dict[str, list[str]]]) -> bool:
        return _matches(self.method, self.path_prefix, self.params, method, path, form)

    def error(self, method: str = "POST", path: str = "") -> StripeApiError:
        """The error this rule answers with; Stripe's type for the status.

        A bare 403 is Stripe's answer to a restricted key lacking a permission,
        named after the request's resource (rak_customer_write, …).
        """
        if self.status == 429 and self.message is None and self.code in (None, "rate_limit"):
            return RateLimited()
        if self.status == 403 and self.message is None and self.code is None:
            return PermissionDenied(_permission(method, path))
        if self.status >= 500:
            exc: StripeApiError = ApiError(self.message or "An error occurred (injected by a sandbox fail rule).")
            exc.code = self.code
        else:
            exc = InvalidRequest(
                self.message or f"Request failed (injected by a sandbox fail rule, status {self.status}).",
                code=self.code,
            )
        exc.http_status = self.status  # instance attribute: one class serves every status
        return exc


def _matches(
    want_method: str | None,
    path_prefix: str,
    params: Mapping[str, str],
    method: str,
    path: str,
    form: Callable[[], dict[str, list[str]]],
) -> bool:
    """Whether a request matches a rule's method, path prefix (by segment) and form fields."""
    if want_method is not None and method != want_method:
        return False
    want = path_prefix.rstrip("/").split("/")
    have = path.rstrip("/").split("/")
    if len(have) < len(want):
        return False
    if any(w != h and w not in _ANY_SEGMENT for w, h in zip(want, have, strict=False)):
        return False
    if params:
        fields = form()
        return all(value in fields.get(name, ()) for name, value in params.items())
    return True


@dataclass(frozen=True)
class HoldRule:
    """Keep matching requests waiting (their idempotency key claimed, nothing
    executed) until the sandbox releases them: a test's way to have a request
    in flight for exactly as long as it needs, instead of injected latency.
    Matching as FailRule; `times`: hold that many requests, then let others by."""

    path_prefix: str
    method: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    times: int | None = 1


_RULE_FIELDS = {f.name for f in dataclasses.fields(FailRule)}
# Path segments whose permission name is not the singular by dropping an "s".
_RESOURCES = {"invoiceitems": "invoice_item"}


def _permission(method: str, path: str) -> str:
    """The restricted-key permission a request needs, e.g. rak_invoice_write."""
    segments = path.split("/")
    plural = segments[2] if len(segments) > 2 else ""
    resource = _RESOURCES.get(plural, plural.removesuffix("s"))
    return f"rak_{resource}_{'read' if method == 'GET' else 'write'}"


def parse_rules(value: object) -> tuple[FailRule, ...]:
    """Fail rules from JSON-shaped data (a list of objects) or FailRules; clear errors."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidRequest("Fault setting fail_routes must be a list of rules", param="fail_routes")
    return tuple(_rule(item, f"fail_routes[{i}]") for i, item in enumerate(value))


def _rule(item: object, where: str) -> FailRule:
    if isinstance(item, FailRule):
        item = dataclasses.asdict(item)
    if not isinstance(item, Mapping):
        raise InvalidRequest(f"{where} must be an object", param=where)
    for name in item:
        if name not in _RULE_FIELDS:
            raise InvalidRequest(f"Unknown fail rule field: {where}[{name}]", code="parameter_unknown", param=f"{where}[{name}]")
    for name in ("path_prefix", "status"):
        if name not in item:
            raise InvalidRequest(f"Missing fail rule field: {where}[{name}]", code="parameter_missing", param=f"{where}[{name}]")
    path, status, method = item["path_prefix"], item["status"], item.get("method")
    if not isinstance(path, str) or not path.startswith("/v1/"):
        raise InvalidRequest(f"{where}[path_prefix] must be a path starting with /v1/", param=f"{where}[path_prefix]")
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise InvalidRequest(f"{where}[status] must be an HTTP error status (400-599)", param=f"{where}[status]")
    if method is not None and method not in _METHODS:
        raise InvalidRequest(f"{where}[method] must be one of {', '.join(_METHODS)}", param=f"{where}[method]")
    for name in ("code", "message"):
        if item.get(name) is not None and not isinstance(item[name], str):
            raise InvalidRequest(f"{where}[{name}] must be a string", param=f"{where}[{name}]")
    times = item.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise InvalidRequest(f"{where}[times] must be a positive integer or null (always)", param=f"{where}[times]")
    params = item.get("params") or {}
    if not isinstance(params, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in params.items()):
        raise InvalidRequest(f"{where}[params] must map form field names to strings", param=f"{where}[params]")
    return FailRule(
        path_prefix=path, status=status, method=method, code=item.get("code"), message=item.get("message"),
        times=times, params=dict(params),
    )  # fmt: skip


# Stripe's basic rate limit in test mode: "Test mode: 25 read operations and 25 write
# operations" a second (docs.stripe.com/rate-limits). The sandbox people run (`reconciler
# sandbox`, `--sandbox`) enforces it by default; the Python API leaves it to the caller.
TEST_MODE_RATE_LIMIT = 25


@dataclass
class FaultConfig:
    """What to inject into /v1 requests; all off by default. Seeded: repeatable."""

    latency_ms: float = 0
    rate_limit_rps: float | None = None
    error_rate: float = 0.0
    lose_response_rate: float = 0.0
    seed: int = 0
    fail_routes: tuple[FailRule, ...] = ()

    def updated(self, changes: dict[str, Any]) -> FaultConfig:
        """A copy with `changes` applied; unknown or ill-typed fields are refused."""
        names = {f.name for f in dataclasses.fields(self)}
        changes = dict(changes)
        for key, value in changes.items():
            if key not in names:
                raise InvalidRequest(f"Unknown fault setting: {key}", code="parameter_unknown", param=key)
            if key == "fail_routes":
                changes[key] = parse_rules(value)
                continue
            if key == "rate_limit_rps" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidRequest(f"Fault setting {key} must be a number", param=key)
            if key in ("error_rate", "lose_response_rate") and not 0 <= value <= 1:
                raise InvalidRequest(f"Fault setting {key} must be between 0 and 1", param=key)
            if value < 0:
                raise InvalidRequest(f"Fault setting {key} must not be negative", param=key)
        return dataclasses.replace(self, **changes)


class FaultInjector:
    """Decides, per request, which fault (if any) strikes. Thread-safe."""

    def __init__(
        self,
        config: FaultConfig | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._sleep = sleep
        self._monotonic = monotonic
        self.config = FaultConfig()
        self._left: list[int | None] = []
        self.configure(config or FaultConfig())
        self._holds = _Holds()

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            # Rules are re-armed only when the rules themselves were set:
            # `updated()` keeps the same tuple when another setting changes,
            # so turning latency off does not revive a spent rule.
            if config.fail_routes is not self.config.fail_routes:
                self._left = [rule.times for rule in config.fail_routes]
            self.config = config
            self._rng = random.Random(config.seed)
            self._recent: deque[float] = deque()

    def use_clock(self, monotonic: Callable[[], float] | None = None) -> None:
        """The clock of the rate limit's one-second window (None: the real one).

        A test gives the same fake clock to the client's sleeps, so a 429
        storm passes in fake seconds instead of real ones.
        """
        with self._lock:
            self._monotonic = monotonic or time.monotonic

    def hold(self, rule: HoldRule) -> None:
        """Hold matching requests from now until `release()`."""
        self._holds.add(rule)

    def wait_held(self, count: int = 1, timeout: float = 30.0) -> None:
        """Return once `count` requests are held; TimeoutError if they never come."""
        self._holds.wait_held(count, timeout)

    def release(self) -> None:
        """Let every held request go on, and hold no more."""
        self._holds.release()

    def fail_rules_left(self) -> list[int | None]:
        """Strikes left per fail rule (None: unlimited), in rule order."""
        with self._lock:
            return list(self._left)

    def before(self, method: str = "", path: str = "", form: str | bytes = "") -> StripeApiError | None:
        """Apply latency; the error to answer instead of executing, if any.

        `form` is the request's form data (POST body or query string), parsed
        only when a fail rule names params.
        """
        config = self.config
        if self._holds.armed:
            self._holds.maybe_hold(method, path, lambda: _form_fields(form))
        if config.latency_ms:
            self._sleep(config.latency_ms / 1000)
        with self._lock:
            if config.fail_routes:
                fault = self._targeted(config, method, path, form)
                if fault is not None:
                    return fault
            if config.rate_limit_rps is not None:
                now = self._monotonic()
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                if len(self._recent) >= config.rate_limit_rps:
                    return RateLimited()
                self._recent.append(now)
            if config.error_rate and self._rng.random() < config.error_rate:
                return ApiError()
        return None

    def _targeted(self, config: FaultConfig, method: str, path: str, form: str | bytes) -> StripeApiError | None:
        """The first armed rule matching the request, spending one strike (lock held)."""
        parsed: dict[str, list[str]] | None = None

        def fields() -> dict[str, list[str]]:
            nonlocal parsed
            if parsed is None:
                parsed = _form_fields(form)
            return parsed

        for i, rule in enumerate(config.fail_routes):
            left = self._left[i] if i < len(self._left) else None
            if left == 0 or not rule.matches(method, path, fields):
                continue
            if left is not None:
                self._left[i] = left - 1
            return rule.error(method, path)
        return None

    def lose_response(self) -> bool:
        """Whether to drop the connection after committing this request."""
        with self._lock:
            rate = self.config.lose_response_rate
            return bool(rate) and self._rng.random() < rate


def _form_fields(form: str | bytes) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    text = form.decode("utf-8", "replace") if isinstance(form, bytes) else form
    for name, value in parse_qsl(text, keep_blank_values=True):
        parsed.setdefault(name, []).append(value)
    return parsed


@dataclass
class _Armed:
    rule: HoldRule
    left: int | None


class _Holds:
    """The hold rules and the requests waiting on them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._rules: list[_Armed] = []
        self._held = 0
        self._generation = 0
        self.armed = False

    def add(self, rule: HoldRule) -> None:
        with self._cond:
            self._rules.append(_Armed(rule, rule.times))
            self.armed = True

    def maybe_hold(self, method: str, path: str, form: Callable[[], dict[str, list[str]]]) -> None:
        with self._cond:
            for armed in self._rules:
                rule = armed.rule
                if armed.left == 0 or not _matches(rule.method, rule.path_prefix, rule.params, method, path, form):
                    continue
                if armed.left is not None:
                    armed.left -= 1
                generation = self._generation
                self._held += 1
                self._cond.notify_all()
                self._cond.wait_for(lambda: self._generation != generation)  # noqa: B023  # waited on here
                self._held -= 1
                return

    def wait_held(self, count: int, timeout: float) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._held >= count, timeout):
                raise TimeoutError(f"{count} request(s) to hold never came ({self._held} held)")

    def release(self) -> None:
        with self._cond:
            self._rules.clear()
            self.armed = False
            self._generation += 1
            self._cond.notify_all()
