"""An alert event whose user text tries every trick the chat apps' markup allows, and the check
that none of it became markup."""

from __future__ import annotations

import re

from yujing.alerts import AlertEvent

from .conftest import make_event

TRAP_TITLE = "[点我](http://evil.example/x) @all <at id=all></at> <@all> **粗** &lt;at id=all&gt;"
TRAP_REASON = "出现 [领取赔款](https://evil.example/pay) 字样 <font color=red>急</font>"
GOOD_LINK = "https://bbs.example.cn/t/9?a=1&b=(2)"


def hostile_event(event: str = "firing", **changes: object) -> AlertEvent:
    return make_event(
        event,
        **changes,
        reasons=[TRAP_REASON],
        samples=[
            {"id": "p1", "title": TRAP_TITLE, "url": "javascript:alert(1)", "source": "forum"},
            {"id": "p2", "title": "正常的帖子", "url": GOOD_LINK, "source": "forum"},
            {
                "id": "p3",
                "title": "# 标题\n> 引用",
                "url": "http://ok.example.cn/3",
                "source": "feed",
            },
        ],
    )


LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")


def assert_inert(markdown: str, allowed: tuple[str, ...] = ()) -> None:
    """Only the sample links we made are links; no mention, tag or entity came from user text."""
    links = LINK.findall(markdown)
    assert all(url.startswith(("http://", "https://")) for _, url in links), links
    assert {url for _, url in links} <= set(allowed) | {
        "https://bbs.example.cn/t/9?a=1&b=%282%29",
        "http://ok.example.cn/3",
    }, links
    assert "evil.example" not in "".join(url for _, url in links)
    for bad in (
        "@all",
        "<at",
        "<@",
        "javascript:",
        "**粗**",
        "&lt;",
        "<font color=red>",
        "http://evil",
    ):
        assert bad not in markdown, bad
    # The words are still there, as text.
    assert "点我" in markdown and "领取赔款" in markdown and "正常的帖子" in markdown
    # A newline in a title did not start a heading or a quote.
    assert not any(line.startswith(("# 标题", "> 引用")) for line in markdown.splitlines())
