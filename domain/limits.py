"""Size limits of what people type (pure): text fields, lists, and a whole command.

Every command model takes its caps from here (``Cap(limit)`` on its fields' types), so every door refuses an
oversized input the same way: the CLI and the web console when they build the command, the HTTP API
when it validates a body, and the workflow's update validator for a raw ``temporal workflow update``
(which validates the same models). Temporal refuses a payload over ~2 MB and then blocks the workflow
until its task is retried: a command is capped well below that (``MAX_COMMAND_BYTES``), so a refusal
is a clear message before anything enters the history.

A cap is ``Cap(limit)`` on a field's type, and it judges **new input only**: it is checked inside
``capped()``, which the doors open (the workflow's update validator, ``service.commands.command``, the
openings the service sends, the input files it reads). Everywhere else (a workflow's handler, which also
runs on replay, its state carried over continue-as-new, the decider building its events, events read
back from the audit log) a model is read as it was accepted, so a stream recorded before a cap existed
keeps running and replaying.
"""

from __future__ import annotations

from collections.abc import Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

MAX_ID = 64  # ids people choose: measure ids, milestone ids, organization codes, request ids
MAX_NAME = 200  # names and short labels: organization, region, person, category, title, responsible
MAX_TEXT = 2_000  # a note, a comment, a reason, a description, one goal or measure of a project
MAX_SUMMARY = 5_000  # a plan's summary, a self-check summary, a project's problem statement
MAX_REFERENCE = 500  # one evidence reference (a file name, a link, an archive number)

MAX_PROBLEMS = 100  # problems per case (and new problems per follow-up review)
MAX_MEASURES = 100  # measures per plan
MAX_LEADERS = 20  # liaison leaders per case
MAX_REFERENCES = 20  # evidence references per command (uploaded files: domain.evidence.MAX_FILES)
MAX_ITEMS = 100  # any other list people type: problem ids of a measure, measure ids, goals, milestones
MAX_DESIGNEES = 1_000  # organizations in one approval of a designation list (sent in chunks of 200)
MAX_PEOPLE = 5_000  # people in one directory import

MAX_COMMAND_BYTES = 500_000  # one command as JSON (UTF-8): under the SDK's 512 KiB payload warning, a quarter of the 2 MB limit

_CAPPING: ContextVar[bool] = ContextVar("pdca_capping", default=False)
Sized_ = TypeVar("Sized_", bound=Sized | None)


@contextmanager
def capped() -> Iterator[None]:
    """Validation inside this block checks the caps: new input at a door (see the module's doc)."""
    token = _CAPPING.set(True)
    try:
        yield
    finally:
        _CAPPING.reset(token)


def capping() -> bool:
    return _CAPPING.get()


def _check(limit: int, value: Sized_) -> Sized_:
    if value is None or not capping() or len(value) <= limit:
        return value
    if isinstance(value, str):  # pydantic's own wording, so every door reads the same
        raise PydanticCustomError("string_too_long", "String should have at most {max_length} characters", {"max_length": limit})
    raise PydanticCustomError(
        "too_long",
        "{field_type} should have at most {max_length} items after validation, not {actual_length}",
        {"field_type": "List", "max_length": limit, "actual_length": len(value)},
    )


@dataclass(frozen=True)
class Cap:
    """The cap of a text (characters) or a list (items), in a field's type: ``Annotated[str, Cap(MAX_NAME)]``.
    Checked after the type's own validation, inside ``capped()`` only; shown in the JSON schema (the API's
    documentation) as ``maxLength`` / ``maxItems``."""

    limit: int

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(lambda value: _check(self.limit, value), handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        target = json_schema
        if "anyOf" in json_schema:  # an optional field: the cap belongs to the non-null branch
            target = next((s for s in json_schema["anyOf"] if s.get("type") != "null"), json_schema)
        if target.get("type") == "string":
            target["maxLength"] = self.limit
        elif target.get("type") == "array":
            target["maxItems"] = self.limit
        return json_schema


Id = Annotated[str, Field(min_length=1), Cap(MAX_ID)]
Name = Annotated[str, Field(min_length=1), Cap(MAX_NAME)]
Text = Annotated[str, Field(min_length=1), Cap(MAX_TEXT)]
Reference = Annotated[str, Cap(MAX_REFERENCE)]


def command_too_large(size: int) -> str | None:
    """The refusal of a command of ``size`` bytes as JSON, or None when it fits (or caps are off)."""
    if size <= MAX_COMMAND_BYTES or not capping():
        return None
    limit = f"{MAX_COMMAND_BYTES:,} bytes ({MAX_COMMAND_BYTES // 1000} KB)"
    return f"the command is {size:,} bytes as JSON; the limit is {limit}: send less at once"

