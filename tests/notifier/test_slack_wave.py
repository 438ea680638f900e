"""A whole wave into Slack: 150 complaint posts replayed through the detector's lifecycle, the
notifier and the Slack receiver, to the Slack stand-in. One message, its edits and a short
thread, instead of a message per event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

from testkit.fakes.slack import FakeSlack
from yujing import config as cfg
from yujing.alerts import AlertEvent
from yujing.config.loader import load_config
from yujing.detector.replay import replay_posts
from yujing.notifier.dispatch import Notifier
from yujing.notifier.receivers.slack import SlackReceiver
from yujing.records import Post, post_id
from yujing.store import Store

from .conftest import make_config

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-1111-2222-fake"


def write_wave(path: Path, posts: int = 150, minutes: int = 120) -> None:
    """Eight quiet days of product "a", then ``posts`` complaints within ``minutes``."""
    rng = Random(2)
    start = datetime(2024, 3, 1, tzinfo=UTC)
    lines = []

    def add(at: datetime, text: str, source: str = "forum") -> None:
        n = len(lines) + 1
        post = Post(
            source,
            f"https://{source}.example/{n}",
            post_id(source, str(n)),
            f"u{n}",
            "",
            text,
            at,
            at,
        )
        d = post.to_dict()
        d.update(products=["a"], categories=[], sentiment=0.1, collective="维权" in text)
        lines.append(json.dumps(d, ensure_ascii=False))

    t = start
    while t < start + timedelta(days=8):
        if rng.random() < 2 / 144:
            add(t, f"理赔有点慢 {len(lines)}")
        t += timedelta(minutes=10)
    wave_at = start + timedelta(days=8, hours=2)
    for i in range(posts):
        at = wave_at + timedelta(seconds=minutes * 60 * i / posts)
        add(at, f"a 突然停售 理赔被拒 大家进维权群 第{i}位", ["forum", "weibo", "rss"][i % 3])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_150_post_wave_is_one_message_its_edits_and_a_short_thread(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    write_wave(path)
    events: list[dict] = []
    replay_posts(load_config(ROOT / "config" / "yujing.yaml"), path, events.append)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "firing" and kinds[-1] == "resolved" and kinds.count("firing") == 1
    assert len(events) >= 4  # a wave that grew and changed: there are edits to make

    store = Store(tmp_path / "yujing.db")
    try:
        with FakeSlack(token=TOKEN) as slack:
            conf = cfg.SlackReceiver(
                name="slack-pr", type="slack", token=TOKEN, channel="#预警", base_url=slack.api_url
            )
            # The shipped route timers (30 s wait, 5 min interval, 4 h repeat), the daemon's
            # delivery every minute, and each event submitted when the detector made it.
            notifier = Notifier(
                make_config(
                    notify={"receivers": [conf.model_dump()], "route": {"receiver": "slack-pr"}}
                ),
                store,
                receivers={"slack-pr": SlackReceiver(conf, store.chat)},
            )
            waiting = [AlertEvent.from_dict(e) for e in events]
            tick, end = waiting[0].alert.updated_at, waiting[-1].alert.updated_at
            while tick <= end + timedelta(minutes=10):
                while waiting and waiting[0].alert.updated_at <= tick:
                    notifier.submit(waiting.pop(0), tick)
                notifier.deliver_due(tick)
                tick += timedelta(minutes=1)
            assert store.outbox.pending() == []
            notified = store.db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    finally:
        store.close()

    (top,) = slack.channel_messages()
    assert [m.get("thread_ts") for m in slack.messages()].count(None) == 1  # one top-level post
    edits = [r.body for r in slack.requests if r.path == "/api/chat.update"]
    assert notified == len(events), "the wave's events are minutes apart: each its own notification"
    assert len(edits) == len(events) - 1 and {e["ts"] for e in edits} == {top["ts"]}
    thread = slack.replies(top["ts"])
    assert 1 <= len(thread) <= 6, [m["text"] for m in thread]
    assert thread[-1]["text"].startswith("已解除")
    assert top["text"].startswith("【已解除】")
