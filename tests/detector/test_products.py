from __future__ import annotations

from yujing.config import Product
from yujing.detector.products import ProductTagger

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


def test_abbreviations_are_matched_like_aliases():
    t = ProductTagger([Product(id="anxin-e", name="安心e生医疗险", abbreviations=["e生", "AXES"])])
    assert t.tag("e生拒赔") == ("anxin-e",)
    assert t.tag("axes理赔太慢") == ("anxin-e",)
    assert t.tag("taxes") == ()


COMPANY_PRODUCTS = [
    Product(id="fumantang", name="福满堂年金险", aliases=["福满堂"], company="长宁人寿"),
    Product(id="kangning", name="康宁重疾险", aliases=["长宁"], company="长宁人寿"),
    Product(id="ruihe-hmb", name="瑞和惠民保", aliases=["惠民保"], company="瑞和保险"),
    Product(id="changning-hmb", name="长宁惠民保", aliases=["惠民保"], company="长宁人寿"),
]


def test_company_alone_tags_no_product():
    t = ProductTagger(COMPANY_PRODUCTS)
    assert t.tag("长宁人寿的客服太差了") == ()
    assert t.tag("瑞和保险拒赔") == ()


def test_company_name_is_not_read_as_an_alias_inside_it():
    # "长宁" is an alias of kangning, but here it is part of the company name
    t = ProductTagger(COMPANY_PRODUCTS)
    assert t.tag("长宁人寿的福满堂退保难") == ("fumantang",)
    assert t.tag("长宁重疾拒赔") == ("kangning",)


def test_company_decides_between_products_sharing_an_alias():
    t = ProductTagger(COMPANY_PRODUCTS)
    assert t.tag("惠民保拒赔") == ("ruihe-hmb", "changning-hmb")
    assert t.tag("瑞和保险的惠民保拒赔") == ("ruihe-hmb",)
    assert t.tag("惠民保拒赔，长宁人寿不管") == ("changning-hmb",)


def test_product_and_company_with_the_same_name_tags_the_product():
    t = ProductTagger([Product(id="anxin", name="安心财险", company="安心财险")])
    assert t.tag("安心财险理赔慢") == ("anxin",)


def test_many_products_in_one_post():
    t = ProductTagger(COMPANY_PRODUCTS + PRODUCTS)
    text = "福满堂、康宁重疾险、好医保和安心e生医疗险都买了"
    assert t.tag(text) == ("fumantang", "kangning", "haoyi", "esheng")


# Names as words: an alias inside a longer word is no mention of the product.
WORD_PRODUCTS = [
    Product(id="lejia", name="乐驾车险", aliases=["乐驾"]),
    Product(id="jiaan", name="家安财产险", aliases=["家安"]),
    Product(id="yibao", name="易保通意外险", aliases=["易保"]),
    Product(id="ruyi", name="如意安康重疾险", aliases=["如意安康"]),
]


def test_an_alias_inside_another_word_is_no_mention():
    t = ProductTagger(WORD_PRODUCTS)
    assert t.tag("五一假期全家自驾去海边，一路快乐驾驶") == ()
    assert t.tag("大家安心，这次台风对我们小区没什么影响") == ()
    assert t.tag("重要文件容易保存不当，建议扫描备份") == ()
    assert t.tag("祝大家新年大吉，称心如意安康长寿") == ()


def test_an_alias_standing_as_a_word_is_a_mention():
    t = ProductTagger(WORD_PRODUCTS)
    assert t.tag("乐驾理赔太慢") == ("lejia",)
    assert t.tag("买了易保之后才知道不保门诊") == ("yibao",)
    assert t.tag("家安推诿扯皮") == ("jiaan",)
    # the product and the word holding its alias in one post
    assert t.tag("本来是快乐驾驶的假期，被追尾后乐驾车险拖着不赔") == ("lejia",)


def test_a_word_alias_keeps_its_dictionary_weight():
    # 安心 is a common word already: the low weight of an added name must not make it lose to
    # the characters around it.
    assert tagger().tag("安心理赔太慢了") == ("anxin",)
