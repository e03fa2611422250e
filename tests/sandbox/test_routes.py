"""The sandbox's URL table against its handlers and the SDK's params classes:
a route, handler or supported parameter that drifted fails here, not on a request."""

from __future__ import annotations

import inspect

import stripe.params

from reconciler.sandbox import responses, urls
from reconciler.sandbox.validation import REQUEST_OPTIONS, _fields, params_class


def test_every_route_has_a_handler_and_every_handler_a_route() -> None:
    named = {route.handler for route in urls.ROUTES}
    assert named - set(responses.HANDLERS) == set()
    public = {name for name, fn in inspect.getmembers(responses, inspect.isfunction)
              if fn.__module__ == responses.__name__ and name in responses.SUPPORTED}
    assert public == set(responses.HANDLERS) == named


def test_routes_are_resolved_at_import_not_by_name_at_request_time() -> None:
    assert set(responses._BY_ROUTE) == {route.label for route in urls.ROUTES}
    for route in urls.ROUTES:
        handler, supported = responses._BY_ROUTE[route.label]
        assert handler is responses.HANDLERS[route.handler] and supported is responses.SUPPORTED[route.handler]
    assert "globals()" not in inspect.getsource(responses)


def test_every_route_names_an_sdk_params_class() -> None:
    missing = [route.label for route in urls.ROUTES if not hasattr(stripe.params, route.params)]
    assert missing == []


def test_every_supported_parameter_is_one_the_sdk_knows_for_that_route() -> None:
    unknown = []
    for route in urls.ROUTES:
        known = set(_fields(params_class(route.params))[0]) - REQUEST_OPTIONS
        unknown += [f"{route.label}: {name}" for name in responses.SUPPORTED[route.handler] - known]
    assert unknown == []


def test_route_labels_are_unique() -> None:
    labels = [route.label for route in urls.ROUTES]
    assert len(labels) == len(set(labels))
