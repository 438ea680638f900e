from __future__ import annotations

from scrapy.http import HtmlResponse

from yujing.crawlers.extract import extract_text
from yujing.crawlers.htmltext import html_to_text

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


def test_html_to_text_removes_tags_and_entities() -> None:
    html = "<p>客服推脱&amp;拖延，</p><p>要求&nbsp;书面答复</p>"
    assert html_to_text(html) == "客服推脱&拖延，\n要求 书面答复"


def test_pre_keeps_its_lines() -> None:
    html = "<p>通话记录：</p><pre>坐席：您好\n客户：理赔被拒了\n客户：要投诉</pre>"
    assert html_to_text(html) == "通话记录：\n坐席：您好\n客户：理赔被拒了\n客户：要投诉"


def test_link_and_meta_are_not_line_breaks() -> None:
    # <link> starts like <li>; it is an invisible element, not a list item.
    html = '理赔<link rel="stylesheet" href="a.css">被拒<meta charset="utf-8">三次'
    assert html_to_text(html) == "理赔被拒三次"


def test_tag_case_does_not_matter() -> None:
    html = "第一段<Br>第二段<Div>第三段</Div><uL><Li>一</Li><lI>二</lI></uL>"
    assert html_to_text(html) == "第一段\n第二段\n第三段\n一\n二"


def test_table_cells_are_not_glued_and_rows_are_lines() -> None:
    html = (
        "<table><TR><th>产品</th><th>问题</th></TR>"
        "<tr><td>安康重疾险</td><td>拒赔</td></tr><tr><td>福满堂</td><td>退保难</td></tr></table>"
    )
    assert html_to_text(html) == "产品 问题\n安康重疾险 拒赔\n福满堂 退保难"


def test_a_forum_row_is_not_interleaved() -> None:
    # Old boards put the author's box and the post side by side in one table row.
    page = (
        "<html><body><table><tr><td class='user'>小李<br>积分 10</td>"
        "<td class='post'><p>第一段投诉。</p><p>第二段。</p></td></tr></table>"
        "<div class='body'><table><tr><td>甲</td><td>乙</td></tr></table>尾巴</div></body></html>"
    )
    r = HtmlResponse("http://bbs.example.cn/t/2", body=page.encode(), encoding="utf-8")
    assert extract_text(r, "td.post", multiline=True) == "第一段投诉。\n第二段。"
    assert (
        extract_text(r, "body > table tr", multiline=True)
        == "小李\n积分 10\n第一段投诉。\n第二段。"
    )
    # The text after a selected node is not the node's.
    assert extract_text(r, "div.body table", multiline=True) == "甲 乙"


def test_scripts_styles_and_comments_are_dropped() -> None:
    html = (
        "<style>p{}</style>正文<script>var a = '<p>';</script><!-- 广告 --><noscript>x</noscript>"
    )
    assert html_to_text(html) == "正文"


def test_plain_text_passes_through() -> None:
    assert html_to_text("  理赔 被拒  ") == "理赔 被拒"
    assert html_to_text("") == ""
