"""Inhibit: while a source alert fires, matching target alerts are not sent (``inhibit_rules``).

Alertmanager's semantics: a rule mutes an event whose labels match all ``target_matchers`` while
some firing alert matches all ``source_matchers`` and has the same value (missing = empty) for
every ``equal`` label. The shipped rule keeps a product's category alerts quiet while the whole
product fires. A resolution is never muted (see ``base.mutable``).

The firing alerts come from a callable: the application reads them from its store, where the
current evaluation's alerts are already saved. So an alert never inhibits itself (nor another
copy of its own series), and, as in Alertmanager, when the target also matches the source side,
sources that match the target side too are ignored: a rule cannot make two alerts of the same
class silence each other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from yujing.alerts import Alert
from yujing.config import InhibitRule
from yujing.matchers import Matcher, parse_matcher

from .base import Notice, mutable

__all__ = ["InhibitStage", "Rule", "FiringAlerts", "inhibitors"]

log = logging.getLogger("yujing.notifier")

FiringAlerts = Callable[[], Iterable[Alert]]

Labels = dict[str, str]


def _all(matchers: Sequence[Matcher], labels: Labels) -> bool:
    return all(m.matches(labels) for m in matchers)


def source_labels(alert: Alert) -> Labels:
    """What source matchers see: the alert's labels with its severity and state."""
    return {**alert.labels, "severity": alert.severity.value, "state": alert.state.value}


@dataclass(frozen=True, slots=True)
class Rule:
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]

    @classmethod
    def from_config(cls, rule: InhibitRule) -> Rule:
        return cls(
            tuple(parse_matcher(m) for m in rule.source_matchers),
            tuple(parse_matcher(m) for m in rule.target_matchers),
            tuple(rule.equal),
        )

    def targets(self, labels: Labels) -> bool:
        return _all(self.target, labels)

    def inhibitor(self, key: str, labels: Labels, sources: Iterable[Alert]) -> Alert | None:
        """The first firing source that mutes the target of series ``key`` with ``labels``."""
        two_sided = _all(self.source, labels)
        for alert in sources:
            if not alert.firing or alert.key == key:
                continue
            theirs = source_labels(alert)
            if not _all(self.source, theirs):
                continue
            if any(theirs.get(n, "") != labels.get(n, "") for n in self.equal):
                continue
            if two_sided and self.targets(theirs):
                continue
            return alert
        return None


def inhibitors(
    rules: Sequence[Rule], key: str, labels: Labels, sources: Iterable[Alert]
) -> list[Alert]:
    """The firing alerts that mute an event of series ``key`` with ``labels``: the first
    source of each rule that targets it, each once."""
    found: dict[str, Alert] = {}
    firing = list(sources)
    for rule in rules:
        if rule.targets(labels):
            by = rule.inhibitor(key, labels, firing)
            if by is not None:
                found.setdefault(by.id, by)
    return list(found.values())


class InhibitStage:
    def __init__(self, rules: Iterable[InhibitRule], firing: FiringAlerts):
        self.rules = [Rule.from_config(r) for r in rules]
        self.firing = firing

    def run(self, notices: Sequence[Notice]) -> list[Notice]:
        sources: list[Alert] | None = None  # read once, and only when a notice is a target
        out: list[Notice] = []
        for notice in notices:
            labels = notice.event.labels()
            rules = [r for r in self.rules if r.targets(labels)] if mutable(notice) else []
            if rules and sources is None:
                sources = list(self.firing())
            found = inhibitors(rules, notice.event.alert.key, labels, sources or ())
            by = found[0] if found else None
            if by is None:
                out.append(notice)
                continue
            log.info(
                "alert %s %s to %s inhibited by %s",
                notice.event.id,
                notice.event.event,
                notice.receiver,
                by.id,
            )
        return out
