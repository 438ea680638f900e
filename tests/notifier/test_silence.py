"""The silence stage, with silences passed in directly (their storage comes later)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yujing.alerts import AlertEvent, AlertState, EventKind
from yujing.notifier.stages import Notice, Silence, SilenceStage

from .conftest import T0, make_alert

START, END = T0, T0 + timedelta(hours=2)


def silence(*matchers: str) -> Silence:
    return Silence(matchers, START, END, author="ops@example.cn", comment="known outage")


def notice(product: str = "p", kind: EventKind = EventKind.FIRING) -> Notice:
    state = AlertState.RESOLVED if kind is EventKind.RESOLVED else AlertState.FIRING
    return Notice(AlertEvent(kind, make_alert(product, state=state)), receiver="a")


def stage(*silences: Silence, at=START + timedelta(minutes=5)) -> SilenceStage:
    return SilenceStage(lambda: silences, clock=lambda: at)


def test_an_active_silence_drops_what_it_matches() -> None:
    notices = [notice("p"), notice("q"), notice("p", EventKind.ESCALATED)]
    assert stage(silence("product=p", "kind=burst")).run(notices) == [notices[1]]


def test_every_matcher_must_match() -> None:
    notices = [notice("p")]
    assert stage(silence("product=p", "severity=red")).run(notices) == notices
    assert stage(silence("product!~p|q")).run(notices) == notices


@pytest.mark.parametrize(
    ("at", "silenced"),
    [
        (START - timedelta(seconds=1), False),
        (START, True),
        (END - timedelta(seconds=1), True),
        (END, False),  # the end is not part of it
    ],
)
def test_a_silence_works_from_its_start_to_its_end(at, silenced: bool) -> None:
    notices = [notice("p")]
    assert stage(silence("product=p"), at=at).run(notices) == ([] if silenced else notices)


def test_a_resolution_is_never_silenced() -> None:
    notices = [notice("p", EventKind.RESOLVED)]
    assert stage(silence("product=p")).run(notices) == notices


def test_no_silences_by_default() -> None:
    notices = [notice("p")]
    assert SilenceStage().run(notices) == notices


@pytest.mark.parametrize(
    ("matchers", "starts", "ends", "message"),
    [
        ((), START, END, "at least one matcher"),
        (("product=~(",), START, END, "invalid regular expression"),
        (("product=p",), START, START - timedelta(minutes=1), "end after it starts"),
    ],
)
def test_a_bad_silence_is_refused(matchers, starts, ends, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Silence(matchers, starts, ends, author="a", comment="c")


def test_a_silence_expired_in_the_second_it_began_is_read_back_inactive(tmp_path) -> None:
    """Times are kept to the second: expiring a silence at once used to leave a row that ended
    when it started, which could no longer be read (status and delivery failed on it)."""
    from yujing.store import Store

    store = Store(tmp_path / "y.db")
    try:
        start = T0.replace(microsecond=100_000)
        sid = store.silences.add(
            Silence(("product=p",), start, start + timedelta(hours=1), author="a", comment="c")
        )
        assert store.silences.expire(sid, start + timedelta(microseconds=500_000))
        [back] = store.silences.all()
        assert back.ends_at == back.starts_at and not back.active(start)
        assert store.silences.active(start) == []
        future = store.silences.add(
            Silence(
                ("product=q",),
                start + timedelta(hours=2),
                start + timedelta(hours=3),
                author="a",
                comment="c",
            )
        )
        assert store.silences.expire(future, start)  # before it began: it never runs
        assert all(not s.active(start + timedelta(hours=2)) for s in store.silences.all())
    finally:
        store.close()
