"""Raw JSON bytes -> a wire struct, or InvalidInput naming the field that broke a rule.

msgspec reports where a value failed as the path at the end of its message
(`... - at `$.candles[0].t``). An object-level failure (an unknown or a missing field) is
reported at the object's path; the field is then found by comparing that object in the
document with the struct's fields (msgspec.inspect), not by reading the message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

import msgspec
import msgspec.inspect as mi

from domain.errors import InvalidInput

S = TypeVar("S", bound=msgspec.Struct)

_AT = " - at `"
Segment = str | int


def decode_struct(raw: bytes, kind: type[S]) -> S:
    decoded: S = _decode(raw, kind)
    return decoded


def decode_union(raw: bytes, kind: object, base: type[S]) -> S:
    """Decode into `kind`, a union (e.g. tagged) of structs derived from `base`."""
    decoded = _decode(raw, kind)
    assert isinstance(decoded, base)
    return decoded


def _decode(raw: bytes, kind: Any) -> Any:
    try:
        return _decoder(kind).decode(raw)
    except msgspec.ValidationError as exc:
        raise _invalid(raw, kind, str(exc)) from None
    except msgspec.DecodeError as exc:
        raise InvalidInput("body", f"invalid JSON: {exc}") from None


@cache
def _decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(kind)


def _invalid(raw: bytes, kind: Any, message: str) -> InvalidInput:
    detail, at, where = message.rpartition(_AT)
    if not at:  # msgspec leaves out the path of the root object
        detail, where = message, "$`"
    path = parse_path(where.removesuffix("`"))
    path += _offending_field(raw, kind, path)
    return InvalidInput(format_path(path) or "body", detail)


def parse_path(path: str) -> list[Segment]:
    """`$.candles[0].t` -> ["candles", 0, "t"] (our struct field names hold no `.` or `[`)."""
    segments: list[Segment] = []
    for part in path.removeprefix("$").split("."):
        name, *indices = part.split("[")
        if name:
            segments.append(name)
        segments.extend(int(index.rstrip("]")) for index in indices)
    return segments


def format_path(path: list[Segment]) -> str:
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += f".{segment}" if text else segment
    return text


def _offending_field(raw: bytes, kind: Any, path: list[Segment]) -> list[str]:
    """When `path` points at an object: its first unknown field, else its first missing one."""
    try:
        node: Any = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return []
    shape: mi.Type = mi.type_info(kind)
    for segment in path:
        shape = _unwrap(shape)
        if isinstance(segment, int) and isinstance(shape, mi.ListType | mi.VarTupleType):
            shape = shape.item_type
        elif isinstance(segment, str) and isinstance(shape, mi.StructType):
            shape = next((f.type for f in shape.fields if f.encode_name == segment), mi.AnyType())
        else:
            return []
        try:
            node = node[segment]
        except (KeyError, IndexError, TypeError):
            return []
    shape = _unwrap(shape)
    if isinstance(node, dict) and isinstance(shape, mi.UnionType):
        shape = _tagged_variant(shape, node)
        tags = {getattr(t, "tag_field", None) for t in getattr(shape, "types", ())}
        if len(tags) == 1 and (tag := tags.pop()) is not None:
            return [tag]  # no variant: the tag itself is missing
    if not isinstance(node, dict) or not isinstance(shape, mi.StructType):
        return []
    known = {f.encode_name for f in shape.fields} | {shape.tag_field}
    unknown = [name for name in node if name not in known]
    missing = [f.encode_name for f in shape.fields if f.required and f.encode_name not in node]
    return (unknown or missing)[:1]


def _unwrap(shape: mi.Type) -> mi.Type:
    """Look through Annotated constraints and `X | None` to the type that holds the value."""
    while True:
        if isinstance(shape, mi.Metadata):
            shape = shape.type
        elif isinstance(shape, mi.UnionType):
            inner = [t for t in shape.types if not isinstance(t, mi.NoneType)]
            if len(inner) != 1:
                return shape
            shape = inner[0]
        else:
            return shape


def _tagged_variant(union: mi.UnionType, node: dict[str, Any]) -> mi.Type:
    """The struct of a tagged union that `node` names by its tag (else the union itself)."""
    for variant in union.types:
        if (
            isinstance(variant, mi.StructType)
            and variant.tag_field is not None
            and node.get(variant.tag_field) == variant.tag
        ):
            return variant
    return union


def convert_query(params: Mapping[str, Sequence[str]], kind: type[S]) -> S:
    """Query parameters (each name -> every value given) -> a wire struct whose fields are the
    parameters; numbers and times are read from their text (msgspec's lax mode). A parameter
    given twice, or breaking its field's rule, is InvalidInput naming it; unknown ones are
    ignored."""
    single: dict[str, str] = {}
    for name, values in params.items():
        if len(values) > 1:
            raise InvalidInput(name, "give it once")
        single[name] = values[0]
    try:
        converted: S = msgspec.convert(single, kind, strict=False)
    except msgspec.ValidationError as exc:
        detail, at, where = str(exc).rpartition(_AT)
        path = parse_path(where.removesuffix("`")) if at else []
        raise InvalidInput(format_path(path) or "query", detail if at else str(exc)) from None
    return converted
