"""End to end: the simulated world, the real daemon over HTTP, alerts out to Slack and Elasticsearch."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import yaml

from testkit.fakes.elasticsearch import FakeElasticsearch
from testkit.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


def alert_events(workdir: Path) -> list[dict]:
    lines = (workdir / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_demo_once_tells_the_whole_wave_in_at_most_four_events(demo_once) -> None:
    result, workdir = demo_once
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "演示完成" in result.stdout
    assert "指标与健康检查：http://127.0.0.1:" in result.stdout  # a free port, said
    # The console's address on a line of its own, the same port.
    console = re.search(r"^http://127\.0\.0\.1:(\d+)/$", result.stdout, re.M)
    assert console and f"127.0.0.1:{console[1]}/metrics" in result.stdout
    every = alert_events(workdir)
    assert {e["product"] for e in every} == {"anxin-e"}, "no other product may alert"
    # The product's own series; a category of it may rise too, which the chat never gets apart
    # while the product fires (the default inhibit rule: asserted on the notifications below).
    events = [e for e in every if e["category"] is None]
    firing = [e for e in events if e["event"] == "firing"]
    assert [e["product"] for e in firing] == ["anxin-e"], events
    alert = firing[0]
    assert alert["state"] == "firing"
    assert alert["count"] >= 8 and alert["complainants"] >= 6
    assert alert["sources"] >= 2, "the wave comes through forum, feed and hotline"
    assert alert["samples"] and alert["reasons"]
    # One conversation per wave: the whole wave (24 complaints over 20 s, collected and judged)
    # is its first firing and at most three material changes, not a message per evaluation.
    assert 1 <= len(events) <= 4, [(e["event"], e["count"], e["severity"]) for e in events]
    # Its group reached the receivers before the demo ended (demo.yaml's 2 s group_wait): the
    # file receiver wrote the notification beside alerts.jsonl.
    lines = (workdir / "alerts-file.jsonl").read_text(encoding="utf-8").splitlines()
    told = [json.loads(line) for line in lines if line.strip()]
    assert told and told[0]["alerts"][0]["id"] == alert["id"], told
    assert {(a["product"], a["category"]) for n in told for a in n["alerts"]} == {("anxin-e", None)}
    # The world's GBK forum and the transcripts all reached the store.
    assert (workdir / "yujing.db").exists()
    # The closing hint runs as printed, in a shell whose PATH knows no yujing (no venv active).
    [hint] = [line for line in result.stdout.splitlines() if line.startswith("查看状态：")]
    command = hint.removeprefix("查看状态：").strip()
    status = subprocess.run(
        command,
        shell=True,
        cwd=ROOT,
        env={**os.environ, "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, command + "\n" + status.stderr
    assert "Posts per product" in status.stdout and "anxin-e" in status.stdout


def wired_config(tmp_path: Path, slack_url: str, es_url: str) -> Path:
    config = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text(encoding="utf-8"))
    config["include"] = [str(ROOT / "config" / name) for name in config.get("include", [])]
    config["notify"]["receivers"] += [
        {
            "name": "slack-pr",
            "type": "slack",
            "token": "${YUJING_TEST_SLACK_TOKEN}",
            "channel": "#预警",
            "base_url": f"{slack_url}/api/",
        },
        {"name": "es", "type": "elasticsearch"},
    ]
    demo_route = config["notify"]["route"]
    config["notify"]["route"] = {
        "receiver": "log",
        # The demo's own timers (a 2 s group_wait): its wave is told before `demo --once` ends.
        "group_wait": demo_route["group_wait"],
        "group_interval": demo_route["group_interval"],
        "routes": [
            {"receiver": "slack-pr", "matchers": ["product=anxin-e"], "continue": True},
            {"receiver": "es"},
        ],
    }
    config["elasticsearch"] = {"hosts": [es_url], "index_prefix": "yujing"}
    config["kibana"] = {"url": "http://kibana.example.cn:5601"}
    path = tmp_path / "demo-wired.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def test_demo_alert_reaches_slack_and_elasticsearch(tmp_path: Path, run_yujing) -> None:
    workdir = tmp_path / "demo"
    with FakeSlack() as slack, FakeElasticsearch() as es:
        config = wired_config(tmp_path, slack.url, es.url)
        result = run_yujing(
            "demo",
            "--once",
            "--deadline",
            "90",
            "--dir",
            str(workdir),
            "--config",
            str(config),
            cwd=ROOT,
            env={"YUJING_TEST_SLACK_TOKEN": "xoxb-test-token"},
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

        posts = [r for r in slack.requests if r.path == "/api/chat.postMessage"]
        assert posts, "Slack received the alert"
        message = posts[0]
        assert message.headers["Authorization"] == "Bearer xoxb-test-token"
        assert message.body["channel"] == "#预警"
        assert "安心e生医疗险" in message.body["text"] or "anxin-e" in message.body["text"]

        # The alert links to its posts in Kibana Discover.
        attachments = json.dumps(message.body.get("attachments"), ensure_ascii=False)
        assert "<http://kibana.example.cn:5601/app/discover#/?_g=" in attachments

        docs = es.bulk_docs()
        # Posts go to the index of their month of publication.
        post_docs = [d for d in docs if d["_index"].startswith("yujing-posts-")]
        assert post_docs and all(
            re.fullmatch(r"yujing-posts-\d{4}\.\d\d\.01", d["_index"]) for d in post_docs
        )
        assert any(
            "安心e生" in (d["source"].get("text", "") + d["source"].get("title", ""))
            and "安心e生医疗险" in d["source"]["product_names"]
            for d in post_docs
        )
        alert_docs = [d for d in docs if d["_index"] == "yujing-alerts"]
        assert alert_docs, "the alert was bulk-indexed into the alerts index"
        assert alert_docs[0]["op"] == "update"
        assert alert_docs[0]["source"]["doc"]["product"] == "anxin-e"
        assert alert_docs[0]["_id"].startswith("burst:anxin-e@")
        events = [d for d in docs if d["_index"] == "yujing-alert-events"]
        assert events and events[0]["source"]["alert_id"] == alert_docs[0]["_id"]
        assert events[0]["source"]["discover_url"].startswith("http://kibana.example.cn:5601/")
