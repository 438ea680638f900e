"""The contract between message templates and the notification: the names a template may use.

A template is configuration, and configuration may come from a hostile hand: it is rendered in
Jinja2's immutable sandbox with the alert's fields and nothing else (``notifier.render.template``),
and refused here, with its line, when it reaches for anything private (``__class__``,
``__globals__``, the ``attr`` filter): the sandbox would stop it at render time, but an admin
should learn it from ``check-config``, not from a missing alert.

Every receiver that writes a message (DingTalk, WeCom, Feishu, e-mail, webhook) renders the same
fields, the message's view (``yujing.views``, built by ``yujing.notifier.render``); a receiver's
``template`` or ``template_file`` replaces its shipped Jinja2 template. Templates are checked when
the config loads, so a syntax error or a misspelt field is reported by ``check-config`` with its
line, not at the first alert.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from jinja2 import meta, nodes

from yujing.views import alert_field_names, field_names

__all__ = [
    "ALERT_FIELDS",
    "TEMPLATE_FIELDS",
    "TEMPLATE_FILTERS",
    "TEMPLATE_GLOBALS",
    "template_problem",
    "check_inline",
    "read_template",
]

# The names a template may use are the fields of the message's typed view (``yujing.views``,
# where each is described): one alert's, and what a notification adds (its ``alerts``...).
ALERT_FIELDS = alert_field_names()
TEMPLATE_FIELDS = field_names()

# Filters the notifier adds to Jinja2's own: ``link`` makes a link in the receiver's markup
# (``{{ s.title | link(s.url) }}``), only for an http(s) URL; ``raw`` writes trusted text
# unescaped (a template's own markup kept in a variable).
TEMPLATE_FILTERS = frozenset({"link", "raw"})

# The globals the notifier's sandbox keeps (``lipsum``, ``cycler`` and ``joiner`` are gone: a
# message needs none, and each is a function whose internals were escape routes).
TEMPLATE_GLOBALS = frozenset({"range", "dict", "namespace"})

# Filters that reach an attribute by a name given as an argument: a template may name a field
# there, written out, but not compute the name (that is how ``__class__`` hides from a reading).
ATTRIBUTE_FILTERS = frozenset(
    {"attr", "map", "selectattr", "rejectattr", "groupby", "sort", "sum", "unique", "min", "max"}
)

# Parsing only (the notifier renders with its own environment), knowing the notifier's filters by
# name so that Jinja2 itself refuses any other.
_ENV = jinja2.Environment()
_ENV.filters.update(dict.fromkeys(TEMPLATE_FILTERS, str))


def template_problem(source: str) -> tuple[int, str] | None:
    """(line, what is wrong) for a template that would fail; None when it is fine."""
    try:
        tree = _ENV.parse(source)
        names = meta.find_undeclared_variables(tree)  # compiles: an unknown filter raises here
    except jinja2.TemplateSyntaxError as exc:  # TemplateAssertionError included
        return exc.lineno, exc.message or "syntax error"
    unsafe = _unsafe_access(tree)
    if unsafe:
        return unsafe
    unknown = sorted(names - TEMPLATE_FIELDS - TEMPLATE_GLOBALS)
    if unknown:
        return _first_line(tree, unknown[0]), (
            f"unknown field {unknown[0]!r}; a template can use {', '.join(sorted(TEMPLATE_FIELDS))}"
        )
    return None


def check_inline(source: str) -> str:
    """A template written in the config: a ValueError names its line within the template."""
    problem = template_problem(source)
    if problem:
        raise ValueError(f"template line {problem[0]}: {problem[1]}")
    return source


def _private(name: object) -> bool:
    return isinstance(name, str) and name.startswith("_")


def _unsafe_access(tree: nodes.Template) -> tuple[int, str] | None:
    """(line, why) of the first reach for a private attribute, or for one named at render time."""
    refuse = "templates may use the alert's fields only, not Python internals"
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Name)):
        if isinstance(node, nodes.Getattr) and _private(node.attr):
            return node.lineno, f"{node.attr!r} is private: {refuse}"
        arg = node.arg if isinstance(node, nodes.Getitem) else None
        if isinstance(arg, nodes.Const) and _private(arg.value):
            return node.lineno, f"{arg.value!r} is private: {refuse}"
        if isinstance(node, nodes.Name) and node.name == "self":
            return node.lineno, f"'self' (the template object) is not a field: {refuse}"
        if isinstance(node, nodes.Filter) and node.name in ATTRIBUTE_FILTERS:
            args = [*node.args, *(kw.value for kw in node.kwargs), node.dyn_args, node.dyn_kwargs]
            for arg in filter(None, args):
                if not isinstance(arg, nodes.Const) or _private(arg.value):
                    return node.lineno, (
                        f"the {node.name!r} filter takes only names written out in the template, "
                        f"none private: {refuse}"
                    )
    return None


def _first_line(tree: nodes.Template, name: str) -> int:
    for node in tree.find_all(nodes.Name):
        if node.name == name and node.ctx == "load":
            return node.lineno
    return 1


def read_template(path: Path) -> str:
    """A template file's text, or a ValueError naming the file (and the line of a problem)."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"template file {str(path)!r} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read template file {str(path)!r}: {exc}") from None
    problem = template_problem(source)
    if problem:
        raise ValueError(f"{path}:{problem[0]}: {problem[1]}")
    return source
