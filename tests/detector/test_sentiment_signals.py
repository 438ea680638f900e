from __future__ import annotations

import pytest

from yujing.detector.sentiment import SentimentScorer, model_features
from yujing.detector.signals import COLLECTIVE_TERMS, collective_terms_in, has_collective_language

COMPLAINTS = [
    "这个保险太坑了，理赔拖了三个月还拒赔，骗子公司！",
    "客服态度极差，一直推脱，再也不买了，垃圾保险",
]
PRAISE = [
    "服务很好，理赔很快，非常满意，推荐！",
    "客服耐心专业，三天就到账了，很满意，点赞",
]


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return SentimentScorer()


def test_complaints_score_below_praise(scorer):
    worst_praise = min(scorer.score(t) for t in PRAISE)
    best_complaint = max(scorer.score(t) for t in COMPLAINTS)
    assert best_complaint < worst_praise
    assert all(scorer.label(scorer.score(t)) == "negative" for t in COMPLAINTS)
    # snownlp was trained on shopping reviews: it is sure of anger, less sure of praise,
    # so only the clearest praise is required to reach "positive"
    assert scorer.label(scorer.score(PRAISE[0])) == "positive"


def test_scores_are_probabilities(scorer):
    for text in COMPLAINTS + PRAISE:
        assert 0.0 <= scorer.score(text) <= 1.0


def test_empty_text_is_neutral(scorer):
    assert scorer.score("") == 0.5
    assert scorer.score("  ") == 0.5
    assert scorer.label(scorer.score("")) == "neutral"


def test_label_thresholds():
    assert SentimentScorer.label(0.39) == "negative"
    assert SentimentScorer.label(0.4) == "neutral"
    assert SentimentScorer.label(0.6) == "neutral"
    assert SentimentScorer.label(0.61) == "positive"


def test_repeated_text_is_served_from_the_cache(monkeypatch):
    scorer = SentimentScorer(cache_size=8)
    first = scorer.score(COMPLAINTS[0])
    import yujing.detector.sentiment as mod

    def boom(_text):
        raise AssertionError("text scored again although it was cached")

    monkeypatch.setattr(mod, "analyse", boom)
    assert scorer.score(COMPLAINTS[0]) == first


def test_read_gives_the_score_and_the_features_the_model_read(monkeypatch):
    scorer = SentimentScorer(cache_size=8)
    score, units = scorer.read(COMPLAINTS[0])
    assert score == SentimentScorer().score(COMPLAINTS[0])
    assert units == model_features(COMPLAINTS[0]) and "拒赔" in units
    assert scorer.read("no chinese here") == (0.5, [])
    # read again: the features anew (they are not kept), the score from the cache
    monkeypatch.setattr(scorer._model, "prob", lambda *_: pytest.fail("scored again"))
    assert scorer.read(COMPLAINTS[0]) == (score, units)


def test_the_cache_keeps_the_most_recently_used_texts(monkeypatch):
    scorer = SentimentScorer(cache_size=2)
    a, b, c = (*COMPLAINTS, PRAISE[0])
    for text in (a, b, a, c):  # a was used after b: b is the one dropped for c
        scorer.score(text)
    assert list(scorer._cache) == [a, c]
    monkeypatch.setattr(scorer._model, "prob", lambda *_: 0.25)
    assert scorer.score(a) != 0.25 and scorer.score(b) == 0.25


@pytest.mark.parametrize(
    "text",
    [
        "被拒赔的朋友拉群一起维权吧",
        "已经向银保监投诉了",
        "打了12378，准备集体投诉",
        "我们几个受害者准备联名起诉",
        "再不处理就找媒体曝光",
        "已向国家金融监督管理总局反映",
        "大家组团去报警",
    ],
)
def test_collective_language_found(text):
    assert has_collective_language(text)


@pytest.mark.parametrize(
    "text",
    [
        "理赔被拒了，很生气",
        "客服电话是95512378转1",  # a hotline number inside a longer number
        "我要维权",  # one person, not a group
        "",
    ],
)
def test_no_collective_language(text):
    assert not has_collective_language(text)


def test_collective_language_after_normalisation():
    assert has_collective_language("拉\u200b群")
    assert has_collective_language("打１２３７８投诉")


def test_terms_reported_in_order():
    assert collective_terms_in("先拉群，再去银保监投诉，最后起诉") == ["拉群", "银保监", "起诉"]
    assert "12378" in COLLECTIVE_TERMS
