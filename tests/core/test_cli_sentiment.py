"""``yujing sentiment`` reads stdin as the bytes it is: GBK, Big5, UTF-16 or UTF-8."""

from __future__ import annotations

import io
import json

import pytest

from yujing.app.cli import main

ANGRY = "理赔被拒，客服推诿，太差了，要投诉"
HAPPY = "服务很好，理赔很快，非常满意"


def run(monkeypatch, capsys, data: bytes, *args: str) -> tuple[int, list[dict], str]:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code = main(["sentiment", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-16"])
def test_stdin_is_scored_whatever_its_encoding(monkeypatch, capsys, encoding: str) -> None:
    code, scores, err = run(monkeypatch, capsys, f"{ANGRY}\n{HAPPY}\n".encode(encoding))
    assert code == 0, err
    assert [s["label"] for s in scores] == ["negative", "positive"]


def test_big5_stdin_is_scored_as_big5(monkeypatch, capsys) -> None:
    code, scores, _ = run(
        monkeypatch, capsys, "理賠被拒，客服推諉，太差了，要投訴\n".encode("big5")
    )
    assert code == 0
    assert [s["label"] for s in scores] == ["negative"]


def test_a_named_encoding_is_used(monkeypatch, capsys) -> None:
    code, scores, _ = run(monkeypatch, capsys, f"{ANGRY}\n".encode("gbk"), "--encoding", "gbk")
    assert code == 0
    assert [s["label"] for s in scores] == ["negative"]


def test_undecodable_stdin_is_an_error_not_neutral_scores(monkeypatch, capsys) -> None:
    noise = bytes(0x81 + (i * 37) % 0x7E for i in range(400))
    code, scores, err = run(monkeypatch, capsys, noise + b"\n")
    assert code == 1
    assert scores == []
    assert err.startswith("error: stdin: cannot tell the text's encoding with confidence")
    assert "--encoding" in err


def test_a_bad_later_line_names_its_number(monkeypatch, capsys) -> None:
    # The start (UTF-8) decides; a GBK line well past it cannot be read so.
    data = f"{HAPPY}\n".encode() * 3000 + ANGRY.encode("gbk") + b"\n"
    code, scores, err = run(monkeypatch, capsys, data)
    assert code == 1
    assert len(scores) == 3000  # the lines before it were scored
    assert err.startswith("error: stdin line 3001: byte ")
