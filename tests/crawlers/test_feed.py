from __future__ import annotations

from datetime import UTC, datetime

from yujing.records import Reach, hash_author, post_id

from .conftest import SALT, Collector, feed_source


def test_rss_feed_gives_one_post_per_item(site, crawl) -> None:
    sink = Collector()
    result = crawl(feed_source(site, "/feeds/rss.xml"), sink)
    assert (result.items, result.accepted, result.errors) == (3, 3, 0)

    posts = {p.url: p for p in sink.posts.values()}
    p = posts["https://complaints.example.cn/c/8801"]
    assert p.id == post_id("complaints-feed", "complaint-8801")  # guid, not the link
    assert p.title == "安心e生医疗险拒赔，理由是“未如实告知”"
    assert p.text == (
        "本人购买了安心e生医疗险，住院后理赔被拒。\n客服一直推脱&拖延，要求 三十天内给出书面答复。"
    )
    assert p.author == hash_author("投诉人A", SALT)
    assert p.published_at == datetime(2026, 11, 20, 6, 5, tzinfo=UTC)
    assert p.reach == Reach()
    assert p.extras == {"tags": ["医疗险"]}

    # No guid: the link identifies it. A zone-less date is the site's local time (UTC+8).
    p = posts["https://complaints.example.cn/c/8802"]
    assert p.id == post_id("complaints-feed", "https://complaints.example.cn/c/8802")
    assert p.published_at == datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
    assert p.author == hash_author("投诉人B", SALT)

    # Escaped HTML in the description is unescaped and stripped.
    p = posts["https://complaints.example.cn/c/8803"]
    assert p.text == "每年的分红报告看不懂，问客服也说不清楚。"
    assert p.published_at == datetime(2026, 11, 19, 2, 0, tzinfo=UTC)
    assert p.author is None


def test_atom_feed_prefers_full_content_and_resolves_links(site, crawl) -> None:
    sink = Collector()
    result = crawl(feed_source(site, "/feeds/atom.xml", name="weiquan-atom"), sink)
    assert (result.items, result.errors) == (2, 0)

    posts = {p.id: p for p in sink.posts.values()}
    p = posts[post_id("weiquan-atom", "tag:weiquan.example.cn,2026:9901")]
    assert p.url == "https://weiquan.example.cn/posts/9901"
    assert p.title == "安心e生医疗险集体投诉升温"
    assert p.text == "近一周内，多名用户反映安心e生医疗险理赔被拒。\n部分用户已建群准备集体投诉。"
    assert p.author == hash_author("维权观察员", SALT)
    assert p.published_at == datetime(2026, 11, 21, 1, 15, tzinfo=UTC)  # only <updated>

    p = posts[post_id("weiquan-atom", "tag:weiquan.example.cn,2026:9902")]
    assert p.url == site.url("/posts/9902")  # relative to the feed's own URL
    assert p.text == "读者来信：福满堂年金险的销售人员承诺保底收益。"
    assert p.published_at == datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # <published> wins
    assert p.author is None


def test_html_page_instead_of_a_feed_is_an_error(site, crawl) -> None:
    url = site.url("/bbs/list.html")
    result = crawl(feed_source(site, "/bbs/list.html"), Collector())
    assert (result.items, result.errors) == (0, 1)
    assert result.last_error is not None
    assert result.last_error.startswith(f"GET {url}: not a feed (")
