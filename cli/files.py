"""Structured input files (YAML). A bad file is reported with its line and field; nothing is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from cli.errors import CliError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"{path}: cannot read: {error}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise CliError(f"{path}{line}: invalid YAML: {error.problem or error.context}") from None
    return data, node


def line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The line of the YAML node at ``loc`` (or of its nearest existing parent)."""
    if node is None:
        return None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            if match is None:
                break
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
    return node.start_mark.line + 1


def validate(model: type[M], data: Any, node: yaml.Node | None, path: Path, extra: dict[str, Any] | None = None) -> M:
    if not isinstance(data, dict):
        raise CliError(f"{path}: expected a mapping of fields at the top level")
    try:
        return model.model_validate({**data, **(extra or {})})
    except ValidationError as error:
        problems = [_describe(e, node, path) for e in error.errors()[:3]]
        more = f" (and {error.error_count() - 3} more)" if error.error_count() > 3 else ""
        raise CliError("; ".join(problems) + more) from None


def _describe(error: Any, node: yaml.Node | None, path: Path) -> str:
    loc = tuple(error["loc"])
    line = line_of(node, loc)
    where = f"{path}:{line}" if line else str(path)
    field = ".".join(str(part) for part in loc) or "(top level)"
    return f"{where}: {field}: {error['msg']}"


def load_model(model: type[M], path: Path, extra: dict[str, Any] | None = None) -> M:
    data, node = read_yaml(path)
    return validate(model, data, node, path, extra)
