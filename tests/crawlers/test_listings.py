"""Two more kinds of site insurers watch, from config alone, over real HTTP on 127.0.0.1.

A consumer complaint platform (``pages/tousu/``): numbered list pages (``list-{page}.html``),
each complaint's facts (投诉对象, 投诉问题, 投诉要求, 涉诉金额, 投诉进度) and the times such
sites print ("3分钟前", "昨天 10:02", "11月24日 09:30"). A regulator's notice list
(``pages/regulator/``): ``index.html`` then ``index_1.html`` through a 下一页 link, date-only times.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from yujing.config import ConfigError, ForumSource, load_config
from yujing.crawlers.incremental import StoredMemory
from yujing.records import post_id
from yujing.store import Store

from .conftest import TIMEZONE, Collector, Site

SHANGHAI = ZoneInfo(TIMEZONE)


def complaint_platform(site: Site, **changes: Any) -> ForumSource:
    config: dict[str, Any] = {
        "name": "tousu",
        "type": "forum",
        "url": site.url("/tousu/list-{page}.html"),
        "max_pages": 5,
        "list": {
            "item": "ul.complaints li.item",
            "link": "a.title::attr(href)",
            "replies": "span.status",  # 处理中 -> 已完成: the complaint is read again
        },
        "detail": {
            "title": "h1.title::text",
            # The facts and the complainant's own words, as one text.
            "text": "(//ul[@class='facts'] | //div[@class='content'])",
            "author": "span.user::text",
            "published": "div.meta span.time::text",
        },
    }
    config.update(changes)
    return ForumSource.model_validate(config)


def crawl_with_memory(crawl, source: ForumSource, store: Store, sink: Collector):
    return crawl(
        source,
        sink,
        YUJING_CRAWL_MEMORY=StoredMemory(store.crawled, source.name),
        YUJING_KNOWN_URL=lambda native_id: post_id(source.name, native_id) in sink.posts,
    )


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "y.db")
    yield s
    s.close()


def test_numbered_list_pages_are_read_until_the_last_one(site: Site, crawl) -> None:
    sink = Collector()
    before = datetime.now(SHANGHAI)
    result = crawl(complaint_platform(site), sink)
    after = datetime.now(SHANGHAI)
    assert (result.items, result.accepted, result.errors) == (10, 10, 0)
    lists = site.fetched("/tousu/list-")
    # Pages 1-3 hold complaints; page 4 is a 404, the end of the list (not an error).
    assert lists == [f"/tousu/list-{n}.html" for n in (1, 2, 3, 4)]
    posts = sink.by_title()
    first = posts["安心e生医疗险住院理赔被拒，说我隐瞒病史"]
    assert "[投诉要求] 按合同赔付住院费用" in first.text and "[涉诉金额] 12,800元" in first.text
    assert "客服一直推脱" in first.text and "本平台仅提供信息展示" not in first.text
    assert first.author and "猫" not in first.author  # a complainant's name is kept as a hash
    # "3分钟前", read at crawl time.
    assert before - timedelta(minutes=3, seconds=5) <= first.published_at
    assert first.published_at <= after - timedelta(minutes=3) + timedelta(seconds=5)
    yesterday = (before - timedelta(days=1)).date()
    refused = posts["安心e生拒赔门诊手术费用"].published_at.astimezone(SHANGHAI)
    assert (refused.date(), refused.hour, refused.minute) == (yesterday, 10, 2)
    spam = posts["电话骚扰推销保险"].published_at.astimezone(SHANGHAI)
    assert (spam.month, spam.day, spam.hour, spam.minute) == (11, 24, 9, 30)
    leak = posts["保单信息被泄露"].published_at.astimezone(SHANGHAI)
    assert leak == datetime(2026, 11, 20, 14, 5, tzinfo=SHANGHAI)


def test_max_pages_bounds_numbered_pages(site: Site, crawl) -> None:
    result = crawl(complaint_platform(site, max_pages=2), Collector())
    assert result.items == 8
    assert site.fetched("/tousu/list-") == ["/tousu/list-1.html", "/tousu/list-2.html"]


def test_pages_numbered_from_zero(site: Site, crawl) -> None:
    # A site whose first page is 0: list-0.html does not exist here, so the crawl says so.
    result = crawl(complaint_platform(site, first_page=0), Collector())
    assert site.fetched("/tousu/list-") == ["/tousu/list-0.html"]
    assert result.errors == 1 and "list-0.html" in (result.last_error or "")


def test_a_repeat_crawl_of_a_numbered_list_reads_its_first_page_only(
    site: Site, crawl, store: Store
) -> None:
    sink = Collector()
    source = complaint_platform(site)
    assert crawl_with_memory(crawl, source, store, sink).accepted == 10
    mark = len(site.fetched("/tousu/"))
    again = crawl_with_memory(crawl, source, store, sink)
    assert (again.items, again.errors) == (0, 0)
    assert site.fetched("/tousu/")[mark:] == ["/tousu/list-1.html"]


def test_a_regulators_notice_list_through_its_next_link(site: Site, crawl) -> None:
    source = ForumSource.model_validate(
        {
            "name": "regulator",
            "type": "forum",
            "url": site.url("/regulator/index.html"),
            "list": {
                "link": "div.list li a::attr(href)",
                "next": "//div[@class='page']/a[text()='下一页']/@href",
            },
            "detail": {
                "title": "h2.title::text",
                "text": "div.TRS_Editor",
                "published": "div.info::text",
                "re": {"published": r"发布时间：(\S+)"},
            },
        }
    )
    sink = Collector()
    result = crawl(source, sink)
    assert (result.items, result.errors) == (3, 0)
    assert [p for p in site.fetched("/regulator/index")] == [
        "/regulator/index.html",
        "/regulator/index_1.html",
    ]
    notice = sink.by_title()["行政处罚信息公开表（瑞和保险某分公司）"]
    assert "欺骗投保人" in notice.text
    assert notice.published_at == datetime(2026, 11, 12, tzinfo=SHANGHAI)


def test_numbered_pages_and_a_next_link_together_fail_check_config(tmp_path: Path) -> None:
    path = tmp_path / "yujing.yaml"
    path.write_text(
        "sources:\n"
        "  - name: tousu\n"
        "    type: forum\n"
        "    url: https://tousu.example.cn/list-{page}.html\n"
        "    list: {link: 'a::attr(href)', next: 'a.next::attr(href)'}\n"
        "    detail: {title: 'h1::text', text: 'div.content'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert f"{path}:2: sources[0]" in str(error.value)
    assert "{page}" in str(error.value) and "list.next" in str(error.value)
