"""Every text and list a person can send is capped (domain/limits.py), in every command of every kind
of stream: the structure is walked here, so a new field without a cap fails this test, and each cap is
proven to refuse at the workflow's door (the validator's parsing, inside ``capped()``) with the field
named — the bad-input matrix (test_bad_input_matrix.py) shows the same through the CLI, files, forms
and the API for a selection."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal

import annotated_types
import pytest
from pydantic import BaseModel, ValidationError

from domain import campaign, inspection, people, project, rating, rectification
from domain.decider import Command, Decider
from domain.limits import Cap, capped

DECIDERS: list[Decider[Any, Any, Any]] = [
    rectification.DECIDER, project.DECIDER, campaign.DECIDER, people.DECIDER, inspection.DECIDER, rating.DECIDER,
]  # fmt: skip
# The credential's person and its proof (at any depth: an approved designation carries the openings it
# will send), the discriminator, and what the workflow adds itself (a closing year's figures).
SET_BY_THE_WORKFLOW = {"actor", "proof", "type", "figures"}
ACTOR = {"id": "sup", "roles": ["supervisor"]}


def command_models() -> Iterator[tuple[Decider[Any, Any, Any], type[Command]]]:
    for decider in DECIDERS:
        union = typing.get_args(decider.commands._type)[0]  # Annotated[A | B | …, Field(discriminator=…)]
        for model in typing.get_args(union):
            kind = model.model_fields["type"].default
            if kind not in decider.internal_commands and model is not rectification.OpenCase.__mro__[-1]:
                yield decider, model


INTERNAL = {  # issued by the workflow itself, never by a person (the deciders' internal_commands)
    "Tick", "RecordStarts", "RecordCheck", "RecordOutcomes", "RecordImport",
}


def people_commands() -> list[tuple[str, type[Command]]]:
    return [
        (decider.name, model)
        for decider, model in command_models()
        if model.model_fields["type"].default not in INTERNAL
    ]


def _strip(annotation: Any) -> tuple[Any, list[Any]]:
    """The type without Optional, and the metadata (``Annotated``) found on the way."""
    metadata: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            metadata += extra
        elif origin in (typing.Union, types.UnionType):
            arms = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(arms) != 1:
                return annotation, metadata
            annotation = arms[0]
        else:
            return annotation, metadata


def sized_fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, Any, Cap | None, Any]]:
    """(dotted path, the field's type, its cap, an element type) for every text and list a person types,
    into nested input models (a list's element path is ``name.0``)."""
    for name, info in model.model_fields.items():
        if name in SET_BY_THE_WORKFLOW:
            continue
        annotation, metadata = _strip(info.annotation)
        metadata += info.metadata
        cap = _cap(metadata)
        path = f"{prefix}{name}"
        origin = typing.get_origin(annotation)
        if annotation is str:
            yield path, str, cap, None
        elif origin is list:
            element, element_metadata = _strip(typing.get_args(annotation)[0])
            yield path, list, cap, element
            if element is str:
                element_cap = _cap(element_metadata)
                yield f"{path}.0", str, element_cap, None
            elif isinstance(element, type) and issubclass(element, BaseModel):
                yield from sized_fields(element, f"{path}.0.")
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from sized_fields(annotation, f"{path}.")


def _cap(metadata: list[Any]) -> Cap | None:
    """The field's cap: ``Cap`` (new input), or a length pydantic always enforced (``max_length``)."""
    for item in metadata:
        if isinstance(item, Cap):
            return item
        if isinstance(item, annotated_types.MaxLen):
            return Cap(item.max_length)
    return None


def _bounded_otherwise(kind: Any, element: Any) -> bool:
    """A list of enum members, literals, numbers or dates is bounded by what it can hold."""
    if kind is not list or element is None:
        return False
    return typing.get_origin(element) is Literal or (isinstance(element, type) and issubclass(element, (Enum, int, float, date, datetime)))


FIELDS = [
    pytest.param(model, path, kind, cap, element, id=f"{stream}:{model.__name__}.{path}")
    for stream, model in people_commands()
    for path, kind, cap, element in sized_fields(model)
]


def test_the_walk_finds_the_commands_people_send() -> None:
    names = {model.__name__ for _, model in people_commands()}
    assert {"OpenCase", "SubmitPlan", "ReportProgress", "ApplyProject", "ApproveDesignation", "ImportPeople"} <= names
    assert not names & INTERNAL
    assert len(FIELDS) > 80


@pytest.mark.parametrize(("model", "path", "kind", "cap", "element"), FIELDS)
def test_every_text_and_list_is_capped_and_the_cap_refuses(
    model: type[Command], path: str, kind: Any, cap: Cap | None, element: Any
) -> None:
    if cap is None:
        assert _bounded_otherwise(kind, element), f"{model.__name__}.{path} has no cap (domain/limits.py Cap)"
        return
    if kind is list and isinstance(element, type) and issubclass(element, BaseModel):
        return  # a list of models: its elements' own fields are walked; the list's cap is there (above)
    sample: Any = next(iter(element)).value if isinstance(element, type) and issubclass(element, Enum) else "x"
    over = "x" * (cap.limit + 1) if kind is str else [sample] * (cap.limit + 1)  # ASCII: an id's pattern passes
    body: dict[str, Any] = {"type": model.model_fields["type"].default, "actor": ACTOR}
    _put(body, path.split("."), over)
    with capped(), pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    at_path = {e["type"] for e in refused.value.errors() if ".".join(str(p) for p in e["loc"]) == path}
    # Refused at that field: by its cap, or first by its own format (an offset, a digest) which no
    # over-long value meets.
    assert at_path, [e["loc"] for e in refused.value.errors()]
    if at_path & {"string_too_long", "too_long"}:
        assert f"at most {cap.limit}" in str(refused.value)
    else:
        assert at_path <= {"value_error", "string_pattern_mismatch"}, at_path


def _put(body: dict[str, Any], parts: list[str], value: Any) -> None:
    """Set ``a.0.b`` in ``body`` (a list index makes a one-element list)."""
    here: Any = body
    for i, part in enumerate(parts[:-1]):
        nxt: Any = [] if parts[i + 1].isdigit() else {}
        if part.isdigit():
            if not here:
                here.append(nxt)
            here = here[0]
        else:
            here = here.setdefault(part, nxt)
    last = parts[-1]
    if last.isdigit():
        here.append(value)
    else:
        here[last] = value
