"""Source health: a source that keeps failing raises an alert, and resolves it once it works.

"No complaints" and "the crawler is broken" must not look the same. Every complete run of a
source is counted in the store (``store.health``): failed runs in a row, since when, why. When
a source has failed ``health.failures`` runs in a row (or, with ``health.failing_for``, for that
long) a source-health alert fires (labels ``kind=source``, ``source=<name>``) and goes to the
receivers through the same notifier as burst alerts; the next run that works resolves it.

As a rule (``detector.rule``) it is configured by each source's ``health:`` and consumes
``SourceRun``: the pipeline hands each complete run over and evaluates it in the same
transaction, so the alert commits with the run's count.

A run fails when it counts an error: a page that cannot be fetched, a redirect loop, a list page
whose ``list.link`` matches nothing (a changed layout), a feed that is not one. The reasons are
Chinese, as every message people read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from yujing.alerts import Alert, AlertEvent, AlertState, EventKind, Severity
from yujing.config import SourceBase, SourceHealth
from yujing.records import format_time
from yujing.store import Health, Store

from .lifecycle import Change
from .rule import RuleContext

__all__ = [
    "HealthChange",
    "SourceHealthRule",
    "SourceHealthWatch",
    "SourceRun",
    "RunOutcome",
    "KIND",
    "describe_problem",
]

KIND = "source"

PROBLEMS = {
    "no_items": "列表页选择器 list.link 没有匹配到任何内容，可能是网站改版",
    "redirect_loop": "页面重定向循环（一直跳转，打不开），可能是网站改版或拦截了抓取",
    "unreachable": "网站无法访问（连接失败或超时），可能是网站宕机或网络不通",
    "http": "网站返回错误状态码",
    "not_a_feed": "返回的内容不是 RSS/Atom 订阅源",
    "not_json": "接口返回的内容不是 JSON",
    "no_item_list": "接口返回的数据中 items 指向的不是列表，可能是接口改版",
    "undecodable": "无法确定页面的字符编码",
    "parse": "解析页面时出错",
    "store": "保存帖子时出错",
    "quarantined": "有文件无法读取，已移入隔离目录",
    "refused": "推送的记录有误，整批已拒收（HTTP 400）",
}


def describe_problem(problem: str | None) -> str:
    return PROBLEMS.get(problem or "", "抓取出错")


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What a complete run of a source says about its health."""

    items: int
    errors: int
    last_error: str | None
    problem: str | None  # ``crawlers.spiders.base.Problem`` of the last error
    # How the posts came: "" for the source's own runs (a crawl, an inbox pass), "push" for
    # POST /ingest. Each channel has its own health: a client pushing bad records is not the
    # inbox failing, and a good inbox pass is not the pushes recovering.
    channel: str = ""

    @property
    def ok(self) -> bool:
        return self.errors == 0


@dataclass(frozen=True, slots=True)
class SourceRun:
    """What the source-health rule observes: one complete run of a source, ended at ``at``."""

    source: SourceBase
    outcome: RunOutcome
    at: datetime


HealthChange = Change  # the alert to store, and the event to tell if any


CHANNELS = {"push": "（推送）"}
VERBS = {"push": "推送"}  # what a run of the channel is called; a source's own runs: 抓取


def _subject(source: SourceBase, channel: str = "") -> str:
    return f"{source.label} {source.name}{CHANNELS.get(channel, '')}"


def _health_name(source: SourceBase, run: RunOutcome) -> str:
    return f"{source.name}/{run.channel}" if run.channel else source.name


class SourceHealthWatch:
    """Counts each run of a source and names the source-health alert's changes."""

    def __init__(self, store: Store):
        self.store = store

    def observe(self, source: SourceBase, run: RunOutcome, now: datetime) -> HealthChange | None:
        """Record one complete run; the alert's change, if any (the caller stores and tells)."""
        name = _health_name(source, run)
        health = self.store.health.record(name, ok=run.ok, reason=run.last_error, at=now)
        firing = self.store.alerts.firing(f"{KIND}:{name}")
        if run.ok:
            if firing is None:
                return None
            resolved = firing.resolve(
                now,
                reason=f"{_subject(source, run.channel)} 已恢复正常，"
                f"本次{VERBS.get(run.channel, '抓取')} {run.items} 条",
            )
            return HealthChange(resolved, AlertEvent(EventKind.RESOLVED, resolved))
        if firing is not None:  # still failing: the latest numbers, no new message
            return HealthChange(self._alert(source, run, health, now, firing), None)
        if not self._due(source, health, now):
            return None
        alert = self._alert(source, run, health, now, None)
        return HealthChange(alert, AlertEvent(EventKind.FIRING, alert))

    def quiet(self, source: SourceBase, now: datetime) -> HealthChange | None:
        """The flatline check (``health.quiet_for``): a source far below its own usual."""
        rule = source.health
        if rule.quiet_for is None:
            return None
        span = timedelta(seconds=rule.quiet_for)
        week = timedelta(days=7)
        recent, first = self.store.runs.accepted(source.name, now - span, now)
        before, _ = self.store.runs.accepted(source.name, now - span - week, now - span)
        key = f"{KIND}:{source.name}/quiet"
        firing = self.store.alerts.firing(key)
        if first is None:
            return None
        history = min(week, now - span - first)
        if history < 2 * span:  # too little history to know what usual is
            return None
        usual = before * (span / history)
        subject = _subject(source)
        if firing is not None:
            if recent >= 2 * rule.quiet_ratio * usual:  # hysteresis: well back, not just over
                reason = f"{subject} 已恢复：{_hours(span)}内新增 {recent} 条"
                resolved = firing.resolve(now, reason=reason)
                return HealthChange(resolved, AlertEvent(EventKind.RESOLVED, resolved))
            return None
        if usual < rule.quiet_min or recent >= rule.quiet_ratio * usual:
            return None
        reasons = (
            f"{subject} {_hours(span)}内只新增 {recent} 条，平时约 {usual:.0f} 条："
            "抓取没有报错，但可能被登录墙、验证码或改版挡住了",
        )
        alert = Alert(
            key=key,
            id=f"{key}@{now:%Y%m%dT%H%M%SZ}",
            severity=Severity(rule.severity),
            state=AlertState.FIRING,
            started_at=now,
            updated_at=now,
            labels={"kind": KIND, "source": source.name, "product_name": subject},
            reasons=reasons,
            annotations={"problem": "quiet", "recent": str(recent), "usual": f"{usual:.1f}"},
        )
        return HealthChange(alert, AlertEvent(EventKind.FIRING, alert))

    def _due(self, source: SourceBase, health: Health, now: datetime) -> bool:
        rule = source.health
        if rule.failing_for is not None:
            since = health.failing_since or now
            return (now - since).total_seconds() >= rule.failing_for
        return health.failures >= rule.failures

    def _alert(
        self,
        source: SourceBase,
        run: RunOutcome,
        health: Health,
        now: datetime,
        firing: Alert | None,
    ) -> Alert:
        subject = _subject(source, run.channel)
        verb = VERBS.get(run.channel, "抓取")
        reasons = [
            f"{subject} 连续 {health.failures} 次{verb}失败：{describe_problem(run.problem)}"
        ]
        if run.last_error:
            reasons.append(f"最近一次错误：{run.last_error}")
        if health.last_success_at is not None:
            reasons.append(f"上次成功抓取：{format_time(health.last_success_at)}")
        else:
            reasons.append("启动以来还没有成功抓取过")
        started = health.failing_since or now
        labels = {
            "kind": KIND,
            "source": source.name,
            # Read by the message title in place of a product's name.
            "product_name": subject,
        }
        if run.channel:
            labels["channel"] = run.channel
        annotations = {"failures": str(health.failures), "problem": run.problem or ""}
        if firing is not None:
            return replace(
                firing,
                updated_at=now,
                reasons=tuple(reasons),
                annotations={**firing.annotations, **annotations},
            )
        key = f"{KIND}:{_health_name(source, run)}"
        return Alert(
            key=key,
            id=f"{key}@{started:%Y%m%dT%H%M%SZ}",
            severity=Severity(source.health.severity),
            state=AlertState.FIRING,
            started_at=started,
            updated_at=now,
            labels=labels,
            reasons=tuple(reasons),
            annotations=annotations,
        )


class SourceHealthRule:
    """Source health as a rule: each run observed is counted, and its alert's changes (failing,
    back, gone quiet) are what the next evaluation returns."""

    kinds = (KIND,)
    consumes = SourceRun

    def __init__(self, store: Store):
        self.watch = SourceHealthWatch(store)
        self.pending: list[Change] = []

    @classmethod
    def from_config(
        cls, sections: Sequence[SourceHealth], context: RuleContext
    ) -> SourceHealthRule:
        # Each source's own ``health:`` is read at each of its runs (``run.source.health``).
        return cls(context.store)

    def observe(self, item: SourceRun) -> None:
        source, now = item.source, item.at
        for change in (
            self.watch.observe(source, item.outcome, now),
            self.watch.quiet(source, now),
        ):
            if change is not None:
                self.pending.append(change)

    def evaluate(self, now: datetime, *, every_series: bool = False) -> list[Change]:
        changes, self.pending = self.pending, []
        return changes

    def committed(self, changes: Sequence[Change]) -> None:
        """Nothing kept apart from the store: its open alerts are read from there."""

    def rollback(self) -> None:
        """Nothing to forget: a run's count rolls back with the store's transaction."""

    def save_state(self) -> None:
        """Nothing to write: failures in a row, since when and why are written with each run,
        in the run's own transaction (``store.health``)."""

    def restore_state(self) -> None:
        """Nothing to read ahead: each run reads its source's health from the store."""


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} 小时" if hours >= 1 else f"{span.total_seconds() / 60:g} 分钟"
