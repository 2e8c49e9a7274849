"""The query parameters of the signal filters (SPEC §4, §9), shared by every route that takes
them (the list, the export): one declaration, one documented schema.

They are read as text (`str | None`) and checked by the application (`parse_criteria`:
InvalidInput naming the parameter, our error body); their documented schemas say what a value
must be, from the same constants. `oneOf: None` drops Litestar's `string | null`, which
describes the Python type, not the value on the wire (an absent parameter is the default; an
empty one is refused).
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from domain.signals.model import SignalStatus
from domain.signals.rules import INSTRUMENT_MAX_LENGTH, INSTRUMENT_MIN_LENGTH, INSTRUMENT_PATTERN


def query_schema(**schema: object) -> dict[str, object]:
    return {"oneOf": None, **schema}


_DATE_TIME = query_schema(type="string", format="date-time")
_STATUS = query_schema(type="string", enum=[s.value for s in SignalStatus])
_INSTRUMENT = query_schema(
    type="string",
    minLength=INSTRUMENT_MIN_LENGTH,
    maxLength=INSTRUMENT_MAX_LENGTH,
    pattern=INSTRUMENT_PATTERN,
)
_SINCE = "RFC 3339 with an offset: only signals whose `time` is at or after it"
_UNTIL = "RFC 3339 with an offset: only signals whose `time` is before it"

StatusQuery = Annotated[str | None, Parameter(schema_extra=_STATUS)]
InstrumentQuery = Annotated[
    str | None, Parameter(description="Case-insensitive", schema_extra=_INSTRUMENT)
]
SinceQuery = Annotated[str | None, Parameter(description=_SINCE, schema_extra=_DATE_TIME)]
UntilQuery = Annotated[str | None, Parameter(description=_UNTIL, schema_extra=_DATE_TIME)]
