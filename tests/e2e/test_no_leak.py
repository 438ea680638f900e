"""No personal number leaves yujing: posts and files full of them, through every way in.

Forum threads served on 127.0.0.1 (numbers in their URLs, titles and text), transcript files in
the inbox (numbers in their names, callers, agents and text), a file given to `yujing ingest`
and a bad file whose name holds a number. The real daemon (with -v, so Scrapy's debug lines are
on too) collects them, fires an alert and sends it to Slack, Elasticsearch, the log and two
files. Then the store (a full SQL dump), every log line, the ingest command's output, the alert
files and every request body Slack and Elasticsearch received are searched: no number, in any
of the ways it was written, may be there.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

from testkit.fakes.elasticsearch import FakeElasticsearch
from testkit.fakes.slack import FakeSlack

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card(base17: str) -> str:
    return (
        base17 + "10X98765432"[sum(int(d) * w for d, w in zip(base17, _WEIGHTS, strict=True)) % 11]
    )


def luhn(prefix: str) -> str:
    for d in "0123456789":
        number = prefix + d
        total = sum(
            (int(c) * 2 - 9 if int(c) > 4 else int(c) * 2) if i % 2 else int(c)
            for i, c in enumerate(reversed(number))
        )
        if total % 10 == 0:
            return number
    raise AssertionError("unreachable")


ID_A = id_card("11010519491231002")  # ends in X
ID_B = id_card("32010219851120001")
ID_TYPO = ID_B[:17] + ("0" if ID_B[17] != "0" else "1")  # wrong check digit, said to be an ID
CARD_A = luhn("622202000000000000")  # 19 digits
CARD_B = luhn("621700123456789")  # 16 digits
CARD_TYPO = CARD_B[:15] + str((int(CARD_B[15]) + 1) % 10)  # fails Luhn, said to be a card
POLICY = "P202611300017"
MOBILES = {
    "13912345678": "13912345678",
    "139-1234-5678": "13912345678",
    "139 1234 5678": "13912345678",
    "139.1234.5678": "13912345678",
    "139/1234/5678": "13912345678",
    "+86 138 0013 8000": "13800138000",
    "+8613700137000": "13700137000",
    "0086-136-0013-6000": "13600136000",
    "86 135 0013 5000": "13500135000",
}
EMAILS = ["zhang.san@example.com", "张三@example.com", "li_si+ins@mail.example.cn"]

# Every way a number is written in the inputs, and the bare digits it comes down to.
WRITTEN = [
    ID_A,
    ID_A.lower(),
    f"{ID_B[:6]} {ID_B[6:14]} {ID_B[14:]}",
    ID_TYPO,
    CARD_A,
    f"{CARD_B[:4]} {CARD_B[4:8]} {CARD_B[8:12]} {CARD_B[12:]}",
    CARD_TYPO,
    POLICY,
    *MOBILES,
    *EMAILS,
]
DIGITS = sorted({re.sub(r"\D", "", w) for w in WRITTEN if sum(c.isdigit() for c in w) >= 11})
MARKERS = ["@example.com", "@mail.example.cn", "zhang.san", "li_si", POLICY, *DIGITS]


# Each complaint tells its own story (otherwise they would be one text copied, or one post
# seen through two channels, and not all be stored).
STORY = [
    "去年在银行柜台买的",
    "住院做了阑尾手术",
    "花了三万多块钱",
    "材料交了三遍",
    "客服一直推脱",
    "说我投保前有既往症",
    "体检报告根本没写",
    "业务员当初拍胸脯保证",
    "等了四十五天没消息",
    "电话打了二十多次",
    "要求重新审核被拒绝",
    "孩子发烧住院两周",
    "门诊费用也不给报",
    "理赔员态度非常差",
    "说是等待期内出险",
    "合同条款写得含糊",
    "自费药全部扣除",
    "已经向消协反映过",
    "邻居也遇到同样情况",
    "准备去银保监投诉",
]


def complaint(i: int) -> str:
    """A complaint about 安心e生 full of personal numbers, a different mix each time."""
    mobiles = list(MOBILES)
    story = "，".join(random.Random(i).sample(STORY, 8))
    return (
        f"安心e生医疗险理赔被拒，{story}，太坑了！我的手机 {mobiles[i % len(mobiles)]}，"
        f"也可以打 {mobiles[(i + 3) % len(mobiles)]}，身份证号{ID_A if i % 2 else ID_B}，"
        f"身份证 {ID_TYPO}，银行卡号 {CARD_A}，卡号{CARD_TYPO}，"
        f"储蓄卡 {CARD_B[:4]} {CARD_B[4:8]} {CARD_B[8:12]} {CARD_B[12:]}，保单号{POLICY}，"
        f"邮箱 {EMAILS[i % len(EMAILS)]}，身份证 {ID_B[:6]} {ID_B[6:14]} {ID_B[14:]}，{ID_A.lower()}"
    )


class Forum:
    """A complaint board on 127.0.0.1 whose thread URLs carry the posters' numbers too."""

    THREADS = {
        f"/thread/13912345678-{i}.html?tel=%2B86+138+0013+8000&mail=zhang.san%40example.com"
        f"&card={CARD_A}&policy={POLICY}": i
        for i in range(1, 5)
    }

    def __init__(self) -> None:
        threads = self.THREADS

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path == "/list":
                    links = "".join(f'<li><a href="{u}">帖子</a></li>' for u in threads)
                    self.reply(f"<html><body><ul>{links}</ul></body></html>")
                elif self.path in threads:
                    i = threads[self.path]
                    self.reply(
                        "<html><body>"
                        f"<h1>安心e生拒赔 联系 139-1234-5678 {EMAILS[1]}</h1>"
                        f'<div class="body">{complaint(100 + i)}</div></body></html>'
                    )
                else:
                    self.send_response(404)
                    self.end_headers()

            def reply(self, html: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(html.encode("utf-8"))

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def config_text(tmp_path: Path, forum: str, slack: str, es: str) -> str:
    return f"""\
storage: {{path: {tmp_path / "y.db"}}}
alerts_file: {tmp_path / "alerts.jsonl"}
privacy:
  salt: leak-test-salt
  policy_patterns: ['P\\d{{12}}']
sources:
  - name: forum
    type: forum
    url: {forum}/list
    interval: 1s
    delay: 0
    list: {{link: "a::attr(href)"}}
    detail: {{title: "h1::text", text: "div.body"}}
  - name: hotline
    type: transcripts
    path: {tmp_path / "inbox"}
    interval: 1s
products:
  - {{id: anxin-e, name: 安心e生医疗险, aliases: [安心e生]}}
detection:
  evaluate_every: 1s
  burst: {{min_count: 3}}
elasticsearch: {{hosts: ["{es}"], index_prefix: leak}}
notify:
  receivers:
    - {{name: log, type: log}}
    - {{name: file, type: file, path: {tmp_path / "alerts-file.jsonl"}}}
    - name: slack
      type: slack
      token: ${{LEAK_TEST_SLACK_TOKEN}}
      channel: "#预警"
      base_url: {slack}/api/
    - {{name: es, type: elasticsearch}}
  route:
    receiver: log
    group_wait: 1s  # sent at once: the test waits for it
    routes:
      - {{receiver: file, continue: true}}
      - {{receiver: slack, continue: true}}
      - {{receiver: es, continue: true}}
      - {{receiver: log}}
"""


def hours_ago(hours: float) -> str:
    """A call time as the call centre writes it: local (Asia/Shanghai), no zone."""
    at = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=hours)
    return at.strftime("%Y-%m-%d %H:%M:%S")


def drop_transcripts(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = "2026-11-30"
    rows = [
        {
            "id": f"call-{i}",
            "caller": list(MOBILES)[i % len(MOBILES)],
            "agent": f"坐席 {EMAILS[i % 3]} {list(MOBILES)[(i + 1) % len(MOBILES)]}",
            "text": complaint(i),
        }
        for i in range(6)
    ]
    # The product's first call, hours before the wave: a series with some history to judge by.
    rows[0]["time"] = hours_ago(3)
    (folder / f"{stamp}_13912345678_{ID_A}.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    (folder / f"calls_{CARD_A}.csv").write_text(
        "内容,主叫,坐席\n"
        + "".join(f'"{complaint(20 + i)}",139.1234.5678,1032\n' for i in range(3)),
        encoding="gbk",
        errors="strict",
    )
    (folder / f"{POLICY}_zhang.san@example.com.txt").write_text(
        f"来电号码: +86 136 0013 6000\n\n{complaint(30)}", encoding="utf-8"
    )
    # Bad: its name (and its reason) still may not carry the number anywhere it is shown.
    (folder / f"bad_{ID_B}_139-1234-5678.jsonl").write_text("not json\n", encoding="utf-8")
    # Past the inbox's settling time: dated (by their files) a minute back, which may be a
    # ten-minute bucket the detector has already passed (still part of the wave's window).
    old = time.time() - 60
    for path in folder.iterdir():
        os.utime(path, (old, old))


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def leaks(haystack: str) -> list[str]:
    """Which inputs show up, written as given or as bare digits, plain or URL-decoded."""
    texts = [haystack, unquote_plus(haystack)]
    found = [w for w in WRITTEN if any(w in t for t in texts)]
    found += [m for m in MARKERS if any(m in t for t in texts)]
    squeezed = [re.sub(r"[\s./+-]", "", t) for t in texts]
    found += [d for d in DIGITS if any(d in t for t in squeezed)]
    return sorted(set(found))


def test_no_personal_number_reaches_store_logs_files_or_receivers(tmp_path: Path) -> None:
    forum = Forum()
    with FakeSlack(token="xoxb-leak-test") as slack, FakeElasticsearch() as es:
        cfg = tmp_path / "yujing.yaml"
        cfg.write_text(config_text(tmp_path, forum.url, slack.url, es.url), encoding="utf-8")
        env = {**os.environ, "LEAK_TEST_SLACK_TOKEN": "xoxb-leak-test"}

        # `yujing ingest`, before the daemon: a file named with a phone number, one bad file.
        exports = tmp_path / "exports"
        exports.mkdir()
        given = exports / f"export_{MOBILES['139 1234 5678']}.jsonl"
        given.write_text(
            json.dumps({"caller": "0086-136-0013-6000", "text": complaint(40)}, ensure_ascii=False)
            + "\n",
            encoding="utf-8",
        )
        bad = exports / f"bad_{CARD_A}.jsonl"
        bad.write_text('{"text": "安心e生", "time": "13912345678"}\n', encoding="utf-8")
        ingest = subprocess.run(
            [sys.executable, "-m", "yujing", "ingest", "-c", str(cfg), str(given), str(bad)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ingest.returncode == 1, ingest.stderr  # the bad file is reported
        assert "ingested 1 file(s)" in ingest.stdout

        log_file = tmp_path / "daemon.log"
        db = tmp_path / "y.db"
        with log_file.open("w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "yujing", "run", "-c", str(cfg), "-v"],
                cwd=tmp_path,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for(
                lambda: count(db, "SELECT count(*) FROM posts WHERE source='forum'") == 4,
                90,
                "the forum's 4 threads",
            )
            # The calls come after the threads, so the wave's alert samples the threads too.
            drop_transcripts(tmp_path / "inbox")
            wait_for(lambda: not list((tmp_path / "inbox").glob("*.*")), 60, "the inbox emptied")
            wait_for(lambda: slack.messages(), 60, "the alert in Slack")
            wait_for(
                lambda: (
                    count(db, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL") == 0
                    and count(db, "SELECT count(*) FROM outbox WHERE receiver = 'es'") > 0
                ),
                60,
                "every alert message delivered",
            )
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
            forum.close()
        output = log_file.read_text(encoding="utf-8")
        assert code == 0, output[-3000:]

        con = sqlite3.connect(db)
        dump = "\n".join(con.iterdump())
        con.close()
        sent = [r.raw.decode("utf-8", "replace") for r in slack.requests] + [
            r.raw.decode("utf-8", "replace") for r in es.requests
        ]

    # The inputs really went everywhere the search looks.
    assert "quarantined" in output and "Crawled (200)" in output, "-v logs were on"
    assert (tmp_path / "inbox" / "quarantine").is_dir() and len(
        list((tmp_path / "inbox" / "done").iterdir())
    ) == 3
    assert "[手机号]" in dump and "[身份证]" in dump or "\\u624b\\u673a\\u53f7" in dump
    alert_lines = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8")
    file_lines = (tmp_path / "alerts-file.jsonl").read_text(encoding="utf-8")
    assert "anxin-e" in alert_lines and "anxin-e" in file_lines
    slack_bodies = [r.raw.decode("utf-8", "replace") for r in slack.requests]
    assert any("/thread/" in unquote_plus(body) for body in slack_bodies), "sample links sent"

    places = {
        "store": dump,
        "daemon log": output,
        "ingest output": ingest.stdout + ingest.stderr,
        "alerts file": alert_lines,
        "file receiver": file_lines,
        "Slack and Elasticsearch requests": "\n".join(sent),
    }
    assert {place: leaks(text) for place, text in places.items()} == {place: [] for place in places}
