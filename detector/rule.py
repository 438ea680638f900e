"""Detection rules: what every kind of detection does, whatever it watches.

A rule raises alerts of its kinds (keys of ``yujing.alerts.KINDS``, where their Chinese words
are). It is fed what it consumes (``observe``), says what changed when asked (``evaluate``), and
keeps what it learned across restarts (``save_state``, ``restore_state``). The daemon's pipeline
drives every rule the same way:

* ``StoredPosts``: before each evaluation, a rule that consumes posts is told to read on in the
  store. The store is its input, not the caller's hands: a post counts once it is committed,
  whichever process committed it, and a restart reads on from the rule's saved cursor.
* ``SourceRun`` (``source_health``): a source's complete run, handed over as it ends; the rule is
  evaluated in the same transaction, so its alert commits with the run's count.

``evaluate`` names the changes (``lifecycle.Change``: the alert to store, the event to tell, if
any) inside the pipeline's store transaction; ``committed`` follows once that has committed, and
``rollback`` when it failed, so the next evaluation finds the same wave again.

Rules are found as receivers are: ``REGISTRY`` maps a config model to the rule's class, imported
only when the config holds that model. Each class has ``from_config(sections, context)``: the
config's instances of its model (``detection:``; each source's ``health:``) and what a rule may
need beside them (``RuleContext``). Adding a rule: its config model in ``yujing.config``, its
module here, a line in ``REGISTRY`` and its kind in ``yujing.alerts.KINDS``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel

from yujing import config as cfg
from yujing.config import Config
from yujing.store import Store

from .lifecycle import Change

__all__ = ["REGISTRY", "Rule", "RuleContext", "StoredPosts", "build_rules", "rule_class"]


@dataclass(frozen=True, slots=True)
class StoredPosts:
    """What a post-reading rule observes: the store, to read on from where it last stopped."""

    store: Store


@dataclass(frozen=True)
class RuleContext:
    """What a rule may need beside its own config sections."""

    config: Config
    store: Store
    # What the previous pipeline hands over when a reload left a rule's config alone (a burst
    # detector with what it learned); a rule takes what is its own and ignores the rest.
    handed: Sequence[Any] = ()


class Rule(Protocol):
    kinds: tuple[str, ...]  # the alert kinds it raises, keys of yujing.alerts.KINDS
    consumes: type  # what ``observe`` takes: StoredPosts, SourceRun, ...

    def observe(self, item: Any) -> None:
        """Take one thing this rule consumes."""
        ...

    def evaluate(self, now: datetime, *, every_series: bool = False) -> list[Change]:
        """The alerts that changed at ``now`` (``every_series``: the scheduled look at all it
        watches, not only at what got news)."""
        ...

    def committed(self, changes: Sequence[Change]) -> None:
        """The changes of the last ``evaluate`` are stored: they are now what is open."""
        ...

    def rollback(self) -> None:
        """The changes of the last ``evaluate`` were not stored: forget them."""
        ...

    def save_state(self) -> None:
        """Write what it learned to the store (now and then, before a reload, on shutdown)."""
        ...

    def restore_state(self) -> None:
        """Read what it learned back from the store (a new rule, once, when it is built)."""
        ...


# Config model -> "module:class"; each class has ``from_config(sections, context)``.
REGISTRY: dict[type, str] = {
    cfg.Detection: "yujing.detector.burst.rule:BurstDetectionRule",
    cfg.SourceHealth: "yujing.detector.source_health:SourceHealthRule",
}


def rule_class(model: type) -> Any:
    module, name = REGISTRY[model].split(":")
    return getattr(importlib.import_module(module), name)


def _sections(value: Any) -> Iterator[BaseModel]:
    """Every config model inside ``value``, depth first, in the config's own order."""
    if isinstance(value, BaseModel):
        yield value
        for name in type(value).model_fields:
            yield from _sections(getattr(value, name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _sections(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _sections(item)


def build_rules(context: RuleContext) -> list[Rule]:
    """One rule per registered config model the config holds, in ``REGISTRY``'s order."""
    found: dict[type, list[BaseModel]] = {}
    for section in _sections(context.config):
        if type(section) in REGISTRY:
            found.setdefault(type(section), []).append(section)
    return [
        rule_class(model).from_config(found[model], context) for model in REGISTRY if model in found
    ]
