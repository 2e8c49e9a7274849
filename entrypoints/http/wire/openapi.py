"""OpenAPI request bodies generated from wire structs, for the routes that read their body raw.

Those routes read the bytes themselves (with their own size cap, and for signals because the
signature covers the exact bytes), so Litestar does not see a body parameter; the schema is
msgspec's JSON Schema of the struct (constraints included), turned into Litestar's objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.enums import ParamType
from litestar.openapi.spec import (
    OpenAPIMediaType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

_DEFS = "#/$defs/"
_SCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not")
_RENAMED = {"not": "schema_not"}


def raw_body_operation(
    kind: object,
    description: str,
    *,
    text_plain: str | None = None,
    required: bool = True,
    headers: Sequence[tuple[str, str]] = (),
) -> type[Operation]:
    """An Operation class (for a route's `operation_class`) whose JSON body is `kind` (a msgspec
    type: a Struct, or a union of them, e.g. tagged); with `text_plain`, the body may also come
    as `text/plain` (described by that text); `required=False`: an empty body is allowed.
    `headers`: optional string headers (name, description) the handler reads itself, documented
    as Litestar documents an optional `str | None` header parameter."""
    content = {"application/json": OpenAPIMediaType(schema=struct_schema(kind))}
    if text_plain is not None:
        text = Schema(type=OpenAPIType.STRING, description=text_plain)
        content["text/plain"] = OpenAPIMediaType(schema=text)
    header_parameters = [_optional_header(name, text) for name, text in headers]

    @dataclass
    class RawBodyOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                required=required, description=description, content=content
            )
            if header_parameters:
                self.parameters = [*(self.parameters or []), *header_parameters]

    return RawBodyOperation


def _optional_header(name: str, description: str) -> Parameter:
    kinds = [Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)]
    return Parameter(
        name=name,
        param_in=ParamType.HEADER.value,
        required=False,
        description=description,
        schema=Schema(one_of=kinds, description=description),
    )


def struct_schema(kind: object) -> Schema:
    """msgspec's JSON Schema of `kind`, with its definitions inlined."""
    document = msgspec.json.schema(kind)
    return _schema(document, document.get("$defs", {}))


def _schema(node: dict[str, Any], defs: dict[str, Any]) -> Schema:
    if "$ref" in node:
        return _schema(defs[node["$ref"].removeprefix(_DEFS)], defs)
    if node.get("type") == "number" and node.get("multipleOf") == 1:
        # The same set of values, said the way a reader expects (see wire/charts.py).
        node = {k: v for k, v in node.items() if k != "multipleOf"} | {"type": "integer"}
    fields: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("$defs", "discriminator"):
            continue  # definitions are inlined; a discriminator's mapping would point at them
        if key == "properties":
            value = {name: _schema(inner, defs) for name, inner in value.items()}
        elif key in _SCHEMA_LISTS:
            value = [_schema(inner, defs) for inner in value]
        elif key in _SCHEMA_VALUES and isinstance(value, dict):
            value = _schema(value, defs)
        elif key == "type":
            value = (
                [OpenAPIType(t) for t in value] if isinstance(value, list) else OpenAPIType(value)
            )
        elif key == "format":
            value = OpenAPIFormat(value)
        fields[_RENAMED.get(key) or _snake_case(key)] = value
    return Schema(**fields)


def _snake_case(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def query_operation(kind: type[msgspec.Struct]) -> type[Operation]:
    """An Operation class whose query parameters are the fields of `kind` (a msgspec Struct
    read with decoding.convert_query): their schemas are the fields' JSON Schema, so the
    constraints are written once, in the struct."""
    document = msgspec.json.schema(kind)
    defs = document.get("$defs", {})
    shape = defs[document["$ref"].removeprefix(_DEFS)]
    required = set(shape.get("required", []))
    parameters = [
        Parameter(
            name=name,
            param_in=ParamType.QUERY.value,
            required=name in required,
            description=field.get("description"),
            schema=_schema({k: v for k, v in field.items() if k != "description"}, defs),
        )
        for name, field in shape["properties"].items()
    ]

    @dataclass
    class QueryOperation(Operation):
        def __post_init__(self) -> None:
            self.parameters = [*(self.parameters or []), *parameters]

    return QueryOperation
