from __future__ import annotations

from detector.products import ProductTagger
from yujing.config import Product

PRODUCTS = [
    Product(id="esheng", name="安心e生医疗险", aliases=["e生保"]),
    Product(id="anxin", name="安心财险", aliases=["安心", "Anxin"]),
    Product(id="haoyi", name="好医保", aliases=["ＨＹＢ"]),
]


def tagger() -> ProductTagger:
    return ProductTagger(PRODUCTS)


def test_name_and_alias():
    assert tagger().tag("安心财险理赔太慢") == ("anxin",)
    assert tagger().tag("买了e生保，结果拒赔") == ("esheng",)


def test_longest_match_wins_over_a_shorter_alias_inside_it():
    # "安心" is an alias of anxin, but here it is part of esheng's full name
    assert tagger().tag("安心e生医疗险拒赔") == ("esheng",)


def test_several_products_in_order_of_first_appearance():
    text = "先买的好医保，后来换了安心e生医疗险，安心财险也投诉过，好医保又拒赔"
    assert tagger().tag(text) == ("haoyi", "esheng", "anxin")


def test_no_product():
    assert tagger().tag("今天天气不错") == ()
    assert tagger().tag("") == ()


def test_latin_is_case_insensitive_and_width_insensitive():
    assert tagger().tag("ANXIN 理赔") == ("anxin",)
    assert tagger().tag("ａｎｘｉｎ理赔") == ("anxin",)
    # the alias was configured full-width and upper case
    assert tagger().tag("hyb拒赔") == ("haoyi",)


def test_latin_alias_does_not_match_inside_a_longer_word():
    assert tagger().tag("maxinsurance anxinx") == ()


def test_zero_width_characters_do_not_hide_a_name():
    assert tagger().tag("安\u200b心财险") == ("anxin",)


def test_overlap_settled_by_length_not_position():
    t = ProductTagger([Product(id="short", name="安心e"), Product(id="long", name="e生医疗险")])
    assert t.tag("安心e生医疗险") == ("long",)


def test_term_shared_by_two_products_names_both():
    t = ProductTagger(
        [Product(id="a", name="惠民保"), Product(id="b", name="城市惠民保", aliases=["惠民保"])]
    )
    assert t.tag("惠民保拒赔") == ("a", "b")
    assert t.tag("城市惠民保拒赔") == ("b",)


def test_no_products_configured():
    assert ProductTagger([]).tag("安心财险") == ()
