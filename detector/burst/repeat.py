"""One person complaining again and again: a 同一用户反复投诉 alert, never a 群体投诉.

A burst is a group complaint only when several people make it (``BurstRule.min_people``). One
angry customer posting a dozen complaints in ten minutes is something else, and someone may still
want to know: the service team, who can call them back. So a complainant with at least
``repeat_posts`` complaints about a product within its ``window`` raises an alert of its own kind
(``repeat``), which routes can send to that team or nowhere.

One alert per spell of posting, not one per post: it fires when the person reaches
``repeat_posts`` in the window, stays open while they keep posting, and resolves once a whole
window has passed without a complaint of theirs. It carries no counts chart (a person is not a
series); its reasons say how many posts, and its ``author`` annotation is the salted hash the
posts are stored and indexed under, so the posts can be found without anyone's name.

Counted from the product's window details (``Details.busiest``), which hold posts per author:
the same posts the burst is counted from, so a post seen twice is never counted twice here either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from yujing.alerts import Alert, AlertState, Severity
from yujing.config import BurstRule

from ..details import Details
from .severity import span

__all__ = ["KIND", "RepeatWatch"]

KIND = "repeat"


@dataclass(slots=True)
class _Spell:
    alert: Alert
    peak: int  # most posts of theirs seen in one window


class RepeatWatch:
    """The open repeat alerts, by key (``repeat:<product>/<author>``)."""

    def __init__(self) -> None:
        self.open: dict[str, _Spell] = {}

    def restore(self, alert: Alert) -> None:
        """A firing repeat alert read back from the store after a restart."""
        self.open[alert.key] = _Spell(alert, _posts(alert))

    def evaluate(
        self, product: str, rule: BurstRule, window: Details, now: datetime
    ) -> list[Alert]:
        """New and resolved repeat alerts of ``product``, from its window's details."""
        events: list[Alert] = []
        if rule.repeat_posts:
            for author, n in window.busiest(rule.repeat_posts):
                key = f"{KIND}:{product}/{author}"
                spell = self.open.get(key)
                if spell is not None:
                    spell.peak = max(spell.peak, n)
                    continue
                alert = _alert(key, product, author, n, rule, now)
                self.open[key] = _Spell(alert, n)
                events.append(alert)
        prefix = f"{KIND}:{product}/"
        for key in [k for k in self.open if k.startswith(prefix)]:
            author = key.removeprefix(prefix)
            if window.authors.get(author, 0) > 0:
                continue
            spell = self.open.pop(key)
            reason = (
                f"已停止：{span(rule.window)}内没有该用户新的投诉"
                f"（最多时 {span(rule.window)}内 {spell.peak} 条）"
            )
            events.append(spell.alert.resolve(now, reason=reason))
        return events


def _alert(key: str, product: str, author: str, n: int, rule: BurstRule, now: datetime) -> Alert:
    # Named after the bucket it was seen in, so peer daemons evaluating within it name it alike.
    seen = datetime.fromtimestamp(now.timestamp() // rule.bucket * rule.bucket, UTC)
    window = rule.window
    return Alert(
        key=key,
        id=f"{key}@{seen:%Y%m%dT%H%M%SZ}",
        severity=Severity.BLUE,
        state=AlertState.FIRING,
        started_at=now,
        updated_at=now,
        labels={"product": product, "kind": KIND},
        reasons=(
            f"同一用户 {span(window)}内投诉 {n} 条",
            "仅 1 人，不是群体投诉",
        ),
        annotations={"author": author, "posts": str(n)},
    )


def _posts(alert: Alert) -> int:
    try:
        return int(alert.annotations.get("posts", "0"))
    except ValueError:
        return 0
