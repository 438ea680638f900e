"""Reports on a schedule: due at their hour in the config's zone, written once per schedule
across a restart, skipped when empty if asked."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from yujing.app.components.reports import Reports
from yujing.app.daemon import Daemon
from yujing.app.reports.schedule import covers, latest_slot
from yujing.config import ConfigError, ReportSchedule, load_config
from yujing.records import Post, ScoredPost

TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=TZ)


def test_the_latest_slot_is_the_last_hour_passed_in_the_zone() -> None:
    daily = ReportSchedule(kind="daily", at="8:30")
    assert latest_slot(daily, at(8, 8, 30), TZ) == at(8, 8, 30)
    assert latest_slot(daily, at(8, 8, 29), TZ) == at(7, 8, 30)
    assert covers(at(8, 8, 30)) == date(2026, 12, 7)
    weekly = ReportSchedule(kind="weekly", at="09:00", weekday="mon")  # 2026-12-07 is a Monday
    assert latest_slot(weekly, at(9, 12), TZ) == at(7, 9)
    assert latest_slot(weekly, at(7, 8, 59), TZ) == datetime(2026, 11, 30, 9, tzinfo=TZ)


def problems(path: Path, reports: str, receivers: str = "") -> list[str]:
    """What check-config says of a config with one product, ``receivers`` and ``reports``."""
    path.write_text(
        f"products:\n  - {{id: a, name: 甲产品}}\n{receivers}reports:\n{reports}", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


def test_a_bad_schedule_is_named_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "yujing.yaml"
    found = problems(path, "  - {kind: daily, at: '25:00'}\n  - {kind: monthly}\n")
    assert found[0].startswith(f"{path}:4: reports[0].at: expected a time of day like 08:30")
    assert found[1].startswith(f"{path}:5: reports[1].kind: ")
    found = problems(path, "  - {kind: daily, product: b}\n")
    assert "a daily report names unknown product 'b'" in " ".join(found)
    found = problems(path, "  - {kind: daily}\n  - {kind: daily, at: '8:30', out: elsewhere}\n")
    assert "two entries write the same report (daily.*.08:30)" in " ".join(found)


STORE = """
storage: {{path: {db}}}
alerts_file: null
products:
  - {{id: anxin-e, name: 安心e生医疗险, line: 医疗险}}
"""
CONFIG = (
    STORE
    + """reports:
  - {{kind: daily, at: "08:30", out: {daily}}}
  - {{kind: weekly, at: "09:00", weekday: mon, skip_empty: true, out: {weekly}}}
"""
)


def complaint(published: datetime) -> ScoredPost:
    post = Post(
        source="forum", url="https://bbs.example.cn/t/1", id="p1", author="a1", title="拒赔",
        text="安心e生拒赔", published_at=published, fetched_at=published,
    )  # fmt: skip
    return ScoredPost(
        post=post, products=("anxin-e",), categories=(), sentiment=0.1, complaint=True
    )


def test_each_report_is_written_once_when_due_a_restart_included(tmp_path: Path) -> None:
    daily, weekly = tmp_path / "daily", tmp_path / "weekly"
    path = tmp_path / "yujing.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "y.db", daily=daily, weekly=weekly), "utf-8")

    def check(daemon: Daemon, now: datetime) -> list[str]:
        [part] = [c for c in daemon.components if isinstance(c, Reports)]
        return [pdf.name for pdf in asyncio.run(part.check(now))]

    daemon = Daemon(path, components=[Reports])
    daemon.store.posts.accept(complaint(at(7, 10)))
    # Tuesday 08:31: Monday's 日报 is due; the 周报 of the week before Monday has nothing in it.
    assert check(daemon, at(8, 8, 31)) == ["daily-2026-12-07.pdf"]
    assert sorted(p.name for p in daily.iterdir()) == [
        "daily-2026-12-07.html",
        "daily-2026-12-07.pdf",
    ]
    assert not weekly.exists(), "an empty week with skip_empty writes nothing"
    assert check(daemon, at(8, 8, 32)) == []
    daemon.close()

    daemon = Daemon(path, components=[Reports])  # restarted: nothing is written again
    assert check(daemon, at(8, 9, 0)) == []
    # Down over Wednesday's hour, back on Thursday: the latest one missed, once.
    assert check(daemon, at(10, 7, 0)) == ["daily-2026-12-08.pdf"]
    assert check(daemon, at(10, 8, 30)) == ["daily-2026-12-09.pdf"]
    # The next Monday: that week held the complaint, so its 周报 is written.
    assert check(daemon, at(14, 9, 0) + timedelta(minutes=1)) == [
        "daily-2026-12-13.pdf",
        "weekly-2026-12-13.pdf",
    ]
    daemon.close()


def test_a_schedule_first_seen_hours_after_its_time_waits_for_the_next(tmp_path: Path) -> None:
    daily, weekly = tmp_path / "daily", tmp_path / "weekly"
    path = tmp_path / "yujing.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "y.db", daily=daily, weekly=weekly), "utf-8")
    daemon = Daemon(path, components=[Reports])
    [part] = [c for c in daemon.components if isinstance(c, Reports)]
    daemon.store.posts.accept(complaint(at(7, 10)))
    # Started at 11:00: the 08:30 report of today is old news; a restart changes nothing.
    assert asyncio.run(part.check(at(8, 11))) == []
    assert not daily.exists()
    daemon.close()
    daemon = Daemon(path, components=[Reports])
    [part] = [c for c in daemon.components if isinstance(c, Reports)]
    assert asyncio.run(part.check(at(8, 12))) == []
    assert [p.name for p in asyncio.run(part.check(at(9, 8, 30)))] == ["daily-2026-12-08.pdf"]
    # The same schedule at another time is a new one: it does not send 8 December's again.
    text = path.read_text("utf-8").replace('at: "08:30"', 'at: "09:00"')
    path.write_text(text, "utf-8")
    daemon.close()
    daemon = Daemon(path, components=[Reports])
    [part] = [c for c in daemon.components if isinstance(c, Reports)]
    assert asyncio.run(part.check(at(9, 10))) == []
    daemon.close()


def test_a_schedule_that_fails_does_not_stop_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from yujing.app.components import reports as component

    daily, weekly = tmp_path / "daily", tmp_path / "weekly"
    path = tmp_path / "yujing.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "y.db", daily=daily, weekly=weekly), "utf-8")
    daemon = Daemon(path, components=[Reports])
    [part] = [c for c in daemon.components if isinstance(c, Reports)]
    daemon.store.posts.accept(complaint(at(3, 10)))  # in the week the 周报 tells
    write = component._write

    def failing_daily(store_path, config, schedule, slot):
        if schedule.kind == "daily":
            raise KeyError("a fault in the daily report")
        return write(store_path, config, schedule, slot)

    monkeypatch.setattr(component, "_write", failing_daily)
    assert asyncio.run(part.check(at(7, 8, 20))) == []  # both seen, neither due
    # Monday 09:01: both due; the daily fails, the weekly is still written.
    assert [p.name for p in asyncio.run(part.check(at(7, 9, 1)))] == ["weekly-2026-12-06.pdf"]
    assert "report daily due at 2026-12-07T08:30:00+08:00 failed" in caplog.text
    daemon.close()


MAILED = (
    STORE
    + """notify:
  receivers:
    - {{name: mail, type: email, host: 127.0.0.1, port: {port}, tls: starttls, ca_file: {ca},
       sender: yujing@insurer.example.cn, to: [pr@insurer.example.cn]}}
    - {{name: slack, type: slack, token: "${{SLACK_BOT_TOKEN}}", channel: "#预警",
       base_url: "{slack}"}}
  route: {{receiver: mail}}
reports:
  - {{kind: daily, at: "08:30", out: {out}, receivers: [mail, slack]}}
"""
)


def test_a_scheduled_report_reaches_mail_and_slack_once_across_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from testkit.fakes.slack import DEFAULT_TOKEN, FakeSlack
    from testkit.fakes.smtp import FakeSMTP

    monkeypatch.setenv("SLACK_BOT_TOKEN", DEFAULT_TOKEN)
    with FakeSMTP(tmp_path / "tls") as smtp, FakeSlack() as slack:
        path = tmp_path / "yujing.yaml"
        out = tmp_path / "out"
        path.write_text(
            MAILED.format(
                db=tmp_path / "y.db", port=smtp.port, ca=smtp.ca_file, out=out, slack=slack.api_url
            ),
            "utf-8",
        )

        def check(daemon: Daemon, now: datetime) -> None:
            [part] = [c for c in daemon.components if isinstance(c, Reports)]
            asyncio.run(part.check(now))

        daemon = Daemon(path, components=[Reports])
        daemon.store.posts.accept(complaint(at(7, 10)))
        smtp.defer()  # the first try is turned away for now: tried again a minute later
        check(daemon, at(8, 8, 31))
        assert smtp.messages == []
        [shared] = [m for m in slack.channel_messages() if m.get("subtype") == "file_share"]
        assert shared["files"][0]["name"] == "daily-2026-12-07.pdf"
        assert shared["text"].startswith("*舆情日报 2026-12-07*\n本期投诉 1 条")
        assert (
            slack.uploads[shared["files"][0]["id"]] == (out / "daily-2026-12-07.pdf").read_bytes()
        )
        check(daemon, at(8, 8, 32))
        check(daemon, at(8, 8, 33))
        daemon.close()
        daemon = Daemon(path, components=[Reports])
        check(daemon, at(8, 9, 0))
        daemon.close()
        assert len([m for m in slack.channel_messages() if m.get("subtype") == "file_share"]) == 1
    [got] = smtp.messages
    msg = got.message
    assert msg["Subject"] == "舆情日报 2026-12-07"
    assert "本期投诉 1 条" in msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",))
    assert "cid:chart1@yujing" in html.get_content() and "data:image" not in html.get_content()
    parts = {p.get_content_type() for p in msg.walk()}
    assert {"image/png", "application/pdf"} <= parts
    [pdf] = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "daily-2026-12-07.pdf"
    assert pdf.get_content().startswith(b"%PDF")


CHATS = (
    STORE
    + """
notify:
  receivers:
    - {{name: ding, type: dingtalk, webhook: "${{DINGTALK_WEBHOOK}}"}}
    - {{name: wecom, type: wecom, webhook: "${{WECOM_WEBHOOK}}"}}
    - {{name: feishu, type: feishu, webhook: "${{FEISHU_WEBHOOK}}"}}
  route: {{receiver: ding}}
reports:
  - {{kind: daily, at: "08:30", out: {out}, url: "https://intranet.example.cn/reports/",
     receivers: [ding, wecom, feishu]}}
"""
)


def test_the_chat_apps_get_the_figures_and_a_link_to_the_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from testkit.fakes.dingtalk import FakeDingTalk
    from testkit.fakes.feishu import FakeFeishu
    from testkit.fakes.wecom import FakeWeCom

    with FakeDingTalk() as ding, FakeWeCom() as wecom, FakeFeishu() as feishu:
        monkeypatch.setenv("DINGTALK_WEBHOOK", ding.webhook)
        monkeypatch.setenv("WECOM_WEBHOOK", wecom.webhook)
        monkeypatch.setenv("FEISHU_WEBHOOK", feishu.webhook)
        path = tmp_path / "yujing.yaml"
        path.write_text(CHATS.format(db=tmp_path / "y.db", out=tmp_path / "out"), "utf-8")
        daemon = Daemon(path, components=[Reports])
        daemon.store.posts.accept(complaint(at(7, 10)))
        [part] = [c for c in daemon.components if isinstance(c, Reports)]
        for minute in (31, 32):
            asyncio.run(part.check(at(8, 8, minute)))
        daemon.close()
    link = "(https://intranet.example.cn/reports/daily-2026-12-07.pdf)"
    [d] = ding.messages
    assert d["markdown"]["title"] == "舆情日报 2026-12-07"
    assert "本期投诉 1 条" in d["markdown"]["text"] and link in d["markdown"]["text"]
    [w] = wecom.messages
    assert "本期投诉 1 条" in w["markdown"]["content"] and link in w["markdown"]["content"]
    [f] = feishu.messages
    assert f["card"]["header"]["title"]["content"] == "舆情日报 2026-12-07"
    assert link in f["card"]["elements"][0]["text"]["content"]


def test_reports_go_only_to_receivers_that_can_carry_them(tmp_path: Path) -> None:
    path = tmp_path / "yujing.yaml"
    receivers = (
        "notify:\n  receivers:\n    - {name: chat, type: file, path: out.jsonl}\n"
        "  route: {receiver: chat}\n"
    )
    said = " ".join(problems(path, "  - {kind: daily, receivers: [chat]}\n", receivers))
    assert "receiver 'chat' is a file receiver; reports go to e-mail, Slack (with a bot" in said
    said = " ".join(problems(path, "  - {kind: daily, receivers: [nobody]}\n", receivers))
    assert "a daily report goes to unknown receiver 'nobody'" in said
