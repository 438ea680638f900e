"""Alertmanager's API specification (vendored in tests/data/alertmanager) as a checker of
answers: each answer's status must be one the operation defines and its body must fit the
schema given for it, formats (date-time, uri) included."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator, FormatChecker
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV2SpecValidator

SPEC = Path(__file__).parents[1] / "data" / "alertmanager" / "openapi.yaml"
BASE = "/api/v2"


@cache
def spec() -> dict[str, Any]:
    document = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    validate(document, cls=OpenAPIV2SpecValidator)  # the fixture is a whole, valid Swagger 2.0
    return document


@cache
def _formats() -> FormatChecker:
    checker = Draft4Validator.FORMAT_CHECKER
    # Without their optional packages jsonschema skips these formats silently.
    missing = {"date-time", "uri"} - set(checker.checkers)
    assert not missing, f"install the format checkers for {missing} (the test extra has them)"
    return checker


def _operation(method: str, path: str) -> dict[str, Any]:
    assert path.startswith(BASE + "/"), path
    rest = path[len(BASE) :].split("?")[0]
    for template, item in spec()["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^/]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, rest) and method.lower() in item:
            return item[method.lower()]
    raise AssertionError(f"the specification has no {method} {rest}")


def schema_for(method: str, path: str, status: int) -> dict[str, Any] | None:
    """The schema the specification gives the answer; None when it gives none (no body)."""
    responses = _operation(method, path)["responses"]
    assert str(status) in responses, (
        f"{method} {path}: status {status} is none the specification defines "
        f"({', '.join(responses)})"
    )
    response = responses[str(status)]
    if "$ref" in response:
        response = spec()["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response.get("schema")


def check(method: str, path: str, status: int, body: bytes) -> Any:
    """The answer's JSON, once it fits the specification (AssertionError naming where not)."""
    schema = schema_for(method, path, status)
    if schema is None:
        return json.loads(body) if body.strip() else None
    data = json.loads(body)
    root = {"allOf": [schema], "definitions": spec()["definitions"]}
    errors = sorted(
        Draft4Validator(root, format_checker=_formats()).iter_errors(data), key=lambda e: e.path
    )
    assert not errors, "\n".join(
        f"{method} {path} {status}: at {list(e.absolute_path)}: {e.message}" for e in errors[:5]
    )
    return data


def check_request(definition: str, data: Any) -> None:
    """A request body fits ``#/definitions/<definition>`` (what tests send is what clients do)."""
    root = {"$ref": f"#/definitions/{definition}", "definitions": spec()["definitions"]}
    errors = list(Draft4Validator(root, format_checker=_formats()).iter_errors(data))
    assert not errors, [e.message for e in errors]
