"""Structured input files (YAML). A bad file is reported with its line and field (``InputError``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from domain.limits import capped
from settings import get_settings
from settings.errors import InputError

M = TypeVar("M", bound=BaseModel)

__all__ = ["InputError", "check_size", "line_of", "load_model", "max_input_bytes", "read_yaml", "validate"]


class _Loader(yaml.SafeLoader):
    """The safe loader, except that a timestamp which is no real date (``2027-02-30``) is a YAML error
    with its line rather than a ValueError from the date constructor."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as error:
        problem = f"{node.value!r} is not a real date or time ({error})"
        raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def max_input_bytes() -> int:
    """The largest input file read (YAML, CSV, XLSX): PDCA_MAX_INPUT_MB (default 5 MB)."""
    return get_settings().max_input_mb * 1024 * 1024


def check_size(path: Path, limit: int | None = None) -> None:
    """Refuse a file over ``limit`` bytes (default ``max_input_bytes()``) before reading it: a 50 MB YAML
    once took 1.2 GB of memory to parse. A missing file is left to the reader to report."""
    limit = max_input_bytes() if limit is None else limit
    try:
        size = path.stat().st_size
    except OSError:
        return
    if size > limit:
        raise InputError(
            f"{path}: the file is {size:,} bytes; input files are limited to {limit:,} bytes "
            f"({limit / 1024 / 1024:g} MB, PDCA_MAX_INPUT_MB): split it"
        )


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """The file's data and its node tree (for line numbers); a file over the input size limit is
    refused before it is read (``check_size``)."""
    check_size(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read: {error}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader: no arbitrary objects
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        field = _path_at(node, mark) if mark and isinstance(error, yaml.constructor.ConstructorError) else None
        where = f" {field}:" if field else ""
        raise InputError(f"{path}{line}:{where} invalid YAML: {error.problem or error.context}") from None
    return data, node


def _path_at(node: yaml.Node | None, mark: Any) -> str | None:
    """The field path (``measures.0.deadline``) of the value node that starts at ``mark``."""
    if node is None:
        return None
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(node, ())]
    while stack:
        current, trail = stack.pop()
        if current.start_mark.index == mark.index and trail:
            return ".".join(trail)
        if isinstance(current, yaml.MappingNode):
            stack.extend((value, (*trail, str(key.value))) for key, value in current.value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((value, (*trail, str(i))) for i, value in enumerate(current.value))
    return None


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
    line: int = node.start_mark.line + 1
    return line


def validate(model: type[M], data: Any, node: yaml.Node | None, path: Path, extra: dict[str, Any] | None = None) -> M:
    """``data`` as ``model``; at most three problems reported, each as ``file:line: field: message``."""
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of fields at the top level")
    try:
        with capped():  # a file is new input: held to the size caps (domain.limits)
            return model.model_validate({**data, **(extra or {})})
    except ValidationError as error:
        problems = [_describe(e, node, path) for e in error.errors()[:3]]
        more = f" (and {error.error_count() - 3} more)" if error.error_count() > 3 else ""
        raise InputError("; ".join(problems) + more) from None


def _describe(error: Any, node: yaml.Node | None, path: Path) -> str:
    loc = tuple(error["loc"])
    line = line_of(node, loc)
    where = f"{path}:{line}" if line else str(path)
    field = ".".join(str(part) for part in loc) or "(top level)"
    return f"{where}: {field}: {error['msg']}"


def load_model(model: type[M], path: Path, extra: dict[str, Any] | None = None) -> M:
    """Read, parse and validate a YAML file (``extra`` fields are added before validation)."""
    data, node = read_yaml(path)
    return validate(model, data, node, path, extra)
