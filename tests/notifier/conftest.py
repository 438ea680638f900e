from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from yujing import config as cfg
from yujing.alerts import Alert, AlertEvent, AlertState, BurstFacts, EventKind, Severity
from yujing.config import Config
from yujing.notifier.elastic import make_client
from yujing.notifier.notification import Notification
from yujing.notifier.receivers.elasticsearch import ElasticsearchAlertReceiver
from yujing.records import Post, Reach, ScoredPost
from yujing.store import Store

T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai

PRODUCTS = [{"id": "anxin-e", "name": "安心e生医疗险", "aliases": ["安心e生"]}]


def make_event_dict(event: str = "firing", **changes: Any) -> dict[str, Any]:
    """An alert event as the outbox and the journal carry it; ``changes`` override fields."""
    alert = Alert(
        key="burst/anxin-e/-",
        id="burst/anxin-e/-@2024-05-01T06:00:00+00:00",
        severity=Severity.ORANGE,
        state=AlertState.RESOLVED if event == "resolved" else AlertState.FIRING,
        started_at=T0,
        updated_at=datetime(2024, 5, 1, 7, 0, tzinfo=UTC),
        resolved_at=datetime(2024, 5, 1, 9, 0, tzinfo=UTC) if event == "resolved" else None,
        labels={"product": "anxin-e", "kind": "burst", "team": "pr-east"},
        reasons=("1小时内 23 条投诉，是平常的 11 倍", "出现集体维权用语"),
        burst=BurstFacts(
            window_start=T0,
            window_end=datetime(2024, 5, 1, 7, 0, tzinfo=UTC),
            count=23,
            baseline=2.1,
            complainants=15,
            score=8.7,
            sources=3,
            samples=(
                {
                    "id": "p1",
                    "title": "安心e生理赔被拒，大家一起投诉",
                    "url": "https://bbs.example.cn/t/1",
                    "source": "forum",
                },
                {
                    "id": "p2",
                    "title": "理赔难<求助>",
                    "url": "https://feed.example.cn/a?x=1&y=2",
                    "source": "feed",
                },
            ),
        ),
    )
    d = AlertEvent(EventKind(event), alert).to_dict()
    d.update(changes)
    return d


def make_event(event: str = "firing", **changes: Any) -> AlertEvent:
    return AlertEvent.from_dict(make_event_dict(event, **changes))


def notification(*events: AlertEvent, receiver: str = "r", **fields: Any) -> Notification:
    """A notification of ``events`` (each told anew unless ``changed`` says otherwise)."""
    fields.setdefault("changed", frozenset(e.id for e in events))
    labels = fields.pop("group_labels", {"product": events[0].alert.product} if events else {})
    return Notification(receiver, fields.pop("group_key", "{}"), labels, events, **fields)


def es_alert_receiver(url: str, prefix: str = "yj") -> ElasticsearchAlertReceiver:
    """The Elasticsearch receiver, writing under ``prefix`` to the cluster at ``url``."""
    client = make_client(cfg.Elasticsearch(hosts=[url], index_prefix=prefix))
    return ElasticsearchAlertReceiver(
        cfg.ElasticsearchReceiver(name="es", type="elasticsearch"), client, prefix
    )


def make_config(**sections: Any) -> Config:
    return Config.model_validate({"products": PRODUCTS, "alerts_file": None, **sections})


def make_scored(n: int, **changes: Any) -> ScoredPost:
    post = Post(
        source="forum",
        url=f"https://bbs.example.cn/t/{n}",
        id=f"post{n:04d}",
        author=f"hash{n}",
        title=f"安心e生理赔被拒 第{n}帖",
        text="保险公司拖着不赔，我们准备集体投诉到银保监会",
        published_at=T0,
        fetched_at=T0,
        reach=Reach(views=100 + n, comments=3),
        **changes,
    )
    return ScoredPost(post, ("anxin-e",), ("理赔",), 0.08, collective=True)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "yujing.db")
    yield s
    s.close()


def make_alert(
    product: str = "anxin-e",
    category: str | None = None,
    *,
    state: AlertState = AlertState.FIRING,
    updated_at: datetime = T0,
    severity: Severity = Severity.ORANGE,
    started_at: datetime = T0,
) -> Alert:
    """A burst alert of ``product`` (or of one of its categories), one wave started at
    ``started_at``."""
    key = f"burst:{product}" + (f"/{category}" if category else "")
    labels = {"kind": "burst", "product": product}
    if category:
        labels["category"] = category
    return Alert(
        key=key,
        id=f"{key}@{started_at:%Y%m%dT%H%M%SZ}",
        severity=severity,
        state=state,
        started_at=started_at,
        updated_at=updated_at,
        resolved_at=updated_at if state is AlertState.RESOLVED else None,
        labels=labels,
    )
