"""YAML loading that remembers where every value came from, so errors can name file and line.

Strings may reference environment variables as ``${NAME}`` or ``${NAME:-default}``; secrets
live in the environment, never in the file.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Located", "SourceMap", "load_yaml", "YamlError", "dotted"]

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class Located:
    file: Path
    line: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class YamlError(Exception):
    """A problem in a YAML file, with its location."""

    def __init__(self, where: Located | Path, message: str):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


class SourceMap(dict[tuple[Any, ...], Located]):
    """Maps a path of keys/indexes inside the document to the line it was written on.

    ``from_env`` holds the paths whose value came from an ``${ENV_VAR}`` reference, and
    ``env_values`` each variable's value as it was put in (never shown: see ``Config.secrets``).
    """

    def __init__(self) -> None:
        super().__init__()
        self.from_env: set[tuple[Any, ...]] = set()
        self.env_values: dict[str, str] = {}

    def find(self, path: tuple[Any, ...]) -> Located | None:
        # The deepest known prefix: a missing field is reported at its parent mapping.
        for n in range(len(path), -1, -1):
            hit = self.get(tuple(path[:n]))
            if hit is not None:
                return hit
        return None


def dotted(path: tuple[Any, ...]) -> str:
    """('sources', 0, 'url') -> 'sources[0].url'"""
    out = ""
    for part in path:
        # A key is shown as written unless it holds a line break or another control character:
        # then quoted and escaped, so a message stays one line and cannot forge another.
        name = str(part) if str(part).isprintable() else repr(str(part))
        out += f"[{part}]" if isinstance(part, int) else (f".{name}" if out else name)
    return out or "(top level)"


def _expand_env(
    value: str, where: Located, path: tuple[Any, ...], used: dict[str, str] | None = None
) -> str:
    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in os.environ:
            if used is not None:
                used[name] = os.environ[name]
            return os.environ[name]
        if default is not None:
            return default
        raise YamlError(
            where,
            f"{dotted(path)}: environment variable {name} is not set "
            f"(export it, or write ${{{name}:-default}} to give a default)",
        )

    return _ENV_REF.sub(sub, value)


# A config is a few hundred values a few levels deep. Far beyond that is a mistake or an attack
# (an "alias bomb": nine anchors of nine aliases each expand to 9**6 values).
MAX_DEPTH = 40
MAX_VALUES = 100_000
MAX_FILE_BYTES = 4 * 1024 * 1024  # a config (or an included file) is never this big

_SCALARS = yaml.constructor.SafeConstructor()


class _Budget:
    def __init__(self) -> None:
        self.values = 0


_VALUE_TAG = "tag:yaml.org,2002:value"  # a lone "=": YAML 1.1's default-value key, unused here


def _scalar(node: yaml.ScalarNode, where: Located) -> Any:
    # The safe constructor turns a resolved scalar (null, bool, int, float, timestamp, str) into
    # its value; an empty value ("storage:") is None, as YAML says.
    if node.tag == _VALUE_TAG:
        return node.value
    try:
        return _SCALARS.construct_object(node, deep=True)
    except yaml.YAMLError as exc:  # an explicit tag (!!python/name, !!binary ...) we do not read
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlError(where, f"cannot read this value: {problem}") from None


def _build(
    node: yaml.Node, path: tuple[Any, ...], file: Path, smap: SourceMap, budget: _Budget
) -> Any:
    where = Located(file, node.start_mark.line + 1)
    smap[path] = where
    budget.values += 1
    if budget.values > MAX_VALUES:
        raise YamlError(
            where,
            f"the file expands to more than {MAX_VALUES:,} values; anchors and aliases "
            "(&name, *name) that repeat each other multiply it",
        )
    if len(path) > MAX_DEPTH:
        raise YamlError(where, f"{dotted(path[:3])}...: nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key_at = Located(file, key_node.start_mark.line + 1)
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError(
                    key_at, f"{dotted(path)}: a key must be a plain name, not a list or mapping"
                )
            key = _scalar(key_node, key_at)
            if key in out:
                raise YamlError(key_at, f"duplicate key {key!r}")
            out[key] = _build(value_node, (*path, key), file, smap, budget)
            # Point the key itself at the line of the key, which is what a reader looks for.
            smap[(*path, key)] = key_at
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, (*path, i), file, smap, budget) for i, v in enumerate(node.value)]
    value = _scalar(node, where)
    if isinstance(value, str):
        expanded = _expand_env(value, where, path, smap.env_values)
        if expanded != value or _ENV_REF.search(value):
            smap.from_env.add(path)
        value = expanded
    return value


def _read_text(file: Path) -> str:
    """A config file's text: a regular file (never a device or a pipe, which can be endless or
    block for ever) of at most ``MAX_FILE_BYTES``, read no further than that."""
    mode = file.stat().st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(file)
    if not stat.S_ISREG(mode):
        raise YamlError(file, "is not a regular file (a device or a pipe); name a config file")
    with file.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise YamlError(
            file, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; a config file is not"
        )
    return data.decode("utf-8")


def load_yaml(file: Path) -> tuple[Any, SourceMap]:
    """Load one YAML document; return its data and where each part of it was written."""
    try:
        text = _read_text(file)
    except FileNotFoundError:
        raise YamlError(file, "file not found") from None
    except IsADirectoryError:
        raise YamlError(
            file, "is a folder; name the config file in it (e.g. yujing.yaml)"
        ) from None
    except UnicodeDecodeError as exc:
        raise YamlError(file, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise YamlError(file, f"cannot be read: {exc.strerror or exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(Located(file, line), f"invalid YAML: {exc.problem or exc}") from None
    except yaml.reader.ReaderError as exc:  # a control character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        raise YamlError(
            Located(file, line), f"invalid YAML: the character {char!r} is not allowed in YAML"
        ) from None
    except RecursionError:
        raise YamlError(file, f"nested more than {MAX_DEPTH} levels deep") from None
    smap = SourceMap()
    if node is None:
        return {}, smap
    return _build(node, (), file, smap, _Budget()), smap
