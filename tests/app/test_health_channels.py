"""Pushes and inbox passes of one transcripts source each have their own health: a client
pushing bad records is not the inbox failing, and an inbox pass is no recovery of the pushes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from yujing.config import TranscriptSource
from yujing.detector.source_health import RunOutcome, SourceHealthWatch
from yujing.store import Store

HOTLINE = TranscriptSource(name="hotline", type="transcripts", path=Path("inbox"))
T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
BAD = RunOutcome(0, 1, 'POST /ingest line 2: field "time": missing', "refused", "push")
PUSHED = RunOutcome(5, 0, None, None, "push")
PASS = RunOutcome(3, 0, None, None)


def test_pushes_and_inbox_passes_keep_separate_streaks(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    watch = SourceHealthWatch(store)
    try:
        changes = []
        for i, run in enumerate([BAD, PASS, BAD, PASS, BAD]):  # interleaved, as a day goes
            changes.append(watch.observe(HOTLINE, run, T0 + timedelta(minutes=i)))
        fired = [c for c in changes if c is not None and c.event is not None]
        assert len(fired) == 1, "three failed pushes fire, whatever the inbox did between"
        alert = fired[0].alert
        assert alert.key == "source:hotline/push" and alert.labels["channel"] == "push"
        assert alert.reasons[0] == (
            "通话记录 hotline（推送） 连续 3 次推送失败：推送的记录有误，整批已拒收（HTTP 400）"
        )
        store.alerts.save(alert)
        # An inbox pass does not resolve the pushes' alert; a good push does.
        assert watch.observe(HOTLINE, PASS, T0 + timedelta(minutes=6)) is None
        resolved = watch.observe(HOTLINE, PUSHED, T0 + timedelta(minutes=7))
        assert resolved is not None and resolved.event is not None
        assert resolved.alert.reasons[-1] == "通话记录 hotline（推送） 已恢复正常，本次推送 5 条"
        assert not store.health.get("hotline").failing
    finally:
        store.close()
