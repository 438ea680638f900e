"""Loading: YAML in, a validated ``Config`` out, or every problem as 'file:line: field: message'."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .base import Secret
from .grouping import grouping_problems, receiver_problems
from .labels import matcher_problems
from .model import Config
from .yamlsrc import Located, SourceMap, YamlError, dotted, load_yaml

__all__ = ["ConfigError", "load_config", "format_validation"]


class ConfigError(Exception):
    """The configuration cannot be used. ``problems`` lists each as 'file:line: field: message'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from ``root`` through its fields' types, ``root`` first."""
    found: list[type[BaseModel]] = []
    todo = [root]
    while todo:
        model = todo.pop()
        if model in found:
            continue
        found.append(model)
        for info in model.model_fields.values():
            todo += [
                t
                for t in _types_in(info.annotation)
                if isinstance(t, type) and issubclass(t, BaseModel)
            ]
    return found


def _types_in(annotation: Any) -> list[Any]:
    out = [annotation]
    for arg in getattr(annotation, "__args__", ()) or ():
        out.extend(_types_in(arg))
    for meta in getattr(annotation, "__metadata__", ()) or ():
        out.extend(_types_in(meta))
    return out


def _field_names() -> set[str]:
    return {info.alias or name for m in _models(Config) for name, info in m.model_fields.items()}


def _union_tags() -> set[str]:
    """The ``type:`` values of tagged unions (forum, slack, ...): pydantic puts them in error
    locations, where they are not keys of the data."""
    tags: set[str] = set()
    for model in _models(Config):
        kind = model.model_fields.get("type")
        if kind is not None and get_origin(kind.annotation) is Literal:
            tags.update(str(v) for v in get_args(kind.annotation))
    return tags


def _field_homes() -> dict[str, list[str]]:
    """Each key's places in the config, as written (``privacy.policy_patterns``,
    ``sources[].interval``): a key put in the wrong section is told where it belongs."""
    homes: dict[str, list[str]] = {}
    todo: list[tuple[type[BaseModel], str]] = [(Config, "")]
    seen: set[tuple[type[BaseModel], str]] = set()
    while todo:
        model, prefix = todo.pop()
        if (model, prefix) in seen or prefix.count(".") > 6:
            continue
        seen.add((model, prefix))
        for name, info in model.model_fields.items():
            key = info.alias or name
            here = f"{prefix}{key}"
            places = homes.setdefault(key, [])
            if here not in places:
                places.append(here)
            listed = get_origin(info.annotation) in (list, tuple)
            for t in _types_in(info.annotation):
                if isinstance(t, type) and issubclass(t, BaseModel):
                    todo.append((t, f"{here}{'[]' if listed else ''}."))
    return homes


_FIELD_NAMES = _field_names()
_FIELD_HOMES = _field_homes()
_UNION_TAGS = _union_tags()


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the parts of a pydantic location that are not in the data (union tags, validators)."""
    path: list[Any] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and not isinstance(part, int) and part not in _UNION_TAGS:
            # A missing key: keep its name so the message says which field is absent.
            path.append(part)
            node = None
    return tuple(path)


def _explain(err: dict[str, Any], field: str) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        key = field.rsplit(".", 1)[-1]
        homes = _FIELD_HOMES.get(key)
        if homes:
            where = " or ".join(homes[:3])
            return f"unknown key {key!r} here; it belongs in {where}"
        guess = difflib.get_close_matches(key, sorted(_FIELD_NAMES), n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        return f"unknown key {key!r}{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        ctx = err["ctx"]
        return f"unknown type {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "missing 'type:' (which kind of entry is this?)"
    if err.get("input") is None and kind in ("model_type", "dict_type", "list_type"):
        # "storage:" with nothing under it: YAML reads an empty value as null.
        return "is empty; write its settings under it, or delete the line to use the defaults"
    msg = err["msg"]
    return msg.removeprefix("Value error, ")


def format_validation(exc: ValidationError, data: Any, smap: SourceMap, file: Path) -> list[str]:
    found: list[tuple[Located, str]] = []
    for err in exc.errors():
        path = _data_path(data, tuple(err["loc"]))
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path = (*path, "type")  # the problem is the entry's type: key, point there
        where = smap.find(path) or Located(file, 1)
        field = dotted(path)
        found.append((where, f"{where}: {field}: {_explain(err, field)}"))
    # In reading order, file by file, as an editor lists them.
    found.sort(key=lambda item: (str(item[0].file) != str(file), str(item[0].file), item[0].line))
    return [text for _, text in found]


def load_config(path: str | Path) -> Config:
    """Load and validate a config file (and what it includes). Raises ConfigError."""
    path = Path(path)
    try:
        data, smap = load_yaml(path)
    except YamlError as exc:
        raise ConfigError([str(exc)]) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{path}:1: the file must be a mapping of sections (storage:, sources:, ...)"]
        )
    includes = data.get("include") or []
    if not isinstance(includes, list):
        raise ConfigError([f"{smap.find(('include',))}: include: expected a list of file names"])
    for i, name in enumerate(includes):
        sub = path.parent / str(name)
        try:
            sub_data, sub_map = load_yaml(sub)
        except YamlError as exc:
            raise ConfigError([f"{smap.find(('include', i))}: include[{i}]: {exc}"]) from None
        if not isinstance(sub_data, dict):
            raise ConfigError([f"{sub}:1: an included file must be a mapping of sections"])
        if "include" in sub_data:
            raise ConfigError(
                [
                    f"{sub_map.find(('include',))}: include: an included file cannot include "
                    f"others; list every file in the include: of {path}"
                ]
            )
        for key, value in sub_data.items():
            if key in data:
                raise ConfigError(
                    [f"{sub_map.find((key,))}: {key}: section already set in {smap.find((key,))}"]
                )
            data[key] = value
        smap.update({k: v for k, v in sub_map.items() if k})
        smap.from_env |= sub_map.from_env
        smap.env_values |= sub_map.env_values
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation(exc, data, smap, path)) from None
    problems = _secrets_written_in_files(config, smap, path)
    problems += [
        f"{smap.find(where) or path}: {dotted(where)}: {problem}"
        for where, problem in receiver_problems(config)
        + matcher_problems(config)
        + grouping_problems(config)
    ]
    if problems:
        raise ConfigError(problems)
    config.secrets.update(smap.env_values)
    return config


def _secret_fields(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Secret]]:
    """(path, mark) of every field marked ``Secret`` that has a value, anywhere in the config."""
    found: list[tuple[tuple[Any, ...], Secret]] = []
    if isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            value = getattr(node, name)
            key = (*path, info.alias or name)
            marks = [m for m in info.metadata if isinstance(m, Secret)]
            marks += [m for t in _types_in(info.annotation) for m in [t] if isinstance(m, Secret)]
            if marks and value is not None:
                found.append((key, marks[0]))
            else:
                found += _secret_fields(value, key)
    elif isinstance(node, list | tuple):
        for i, item in enumerate(node):
            found += _secret_fields(item, (*path, i))
    elif isinstance(node, dict):
        for k, item in node.items():
            found += _secret_fields(item, (*path, k))
    return found


def _secrets_written_in_files(config: Config, smap: SourceMap, file: Path) -> list[str]:
    """Secrets must come from the environment: a file is copied, committed and shared."""
    problems = []
    for path, mark in _secret_fields(config):
        if path in smap and path not in smap.from_env:
            problems.append(
                f"{smap.find(path) or file}: {dotted(path)}: a secret written in the file; "
                f"write ${{{mark.env}}} instead and set it in the environment"
            )
    return problems
