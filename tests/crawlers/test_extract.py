from __future__ import annotations

from scrapy.http import HtmlResponse

from yujing.crawlers.extract import extract_text
from yujing.crawlers.spiders.feed import strip_html

PAGE = """
<html><body>
  <h1 class="t">  福满堂年金险
     退保难 </h1>
  <div class="body">
    <p>　　第一段，<b>福满堂年金险</b>说好的保底。</p><p>第二段&nbsp;</p>第三行<br>第四行
    <script>track();</script><!-- ad -->
  </div>
  <span class="meta" data-time="2026-11-20 14:05">作者：<a>小李</a></span>
</body></html>
"""


def response() -> HtmlResponse:
    return HtmlResponse("http://bbs.example.cn/t/1", body=PAGE.encode(), encoding="utf-8")


def test_css_element_keeps_paragraphs_and_drops_scripts() -> None:
    assert extract_text(response(), "div.body", multiline=True) == (
        "第一段，福满堂年金险说好的保底。\n第二段\n第三行\n第四行"
    )


def test_single_line_fields_are_flattened() -> None:
    assert extract_text(response(), "h1.t::text") == "福满堂年金险 退保难"
    assert extract_text(response(), "div.body") == (
        "第一段，福满堂年金险说好的保底。 第二段 第三行 第四行"
    )


def test_xpath_is_chosen_by_leading_slash_or_paren() -> None:
    assert extract_text(response(), "//span[@class='meta']/a/text()") == "小李"
    assert extract_text(response(), "(//span/@data-time)[1]") == "2026-11-20 14:05"
    assert extract_text(response(), "span.meta::attr(data-time)") == "2026-11-20 14:05"


def test_no_match_and_no_selector_give_none() -> None:
    assert extract_text(response(), "div.missing") is None
    assert extract_text(response(), None) is None


def test_strip_html_removes_tags_and_entities() -> None:
    html = "<p>客服推脱&amp;拖延，</p><p>要求&nbsp;书面答复</p>"
    assert strip_html(html) == "客服推脱&拖延，\n要求 书面答复"
