"""The neutral stage: questions and consultations are not complaints."""

from __future__ import annotations

import pytest

from yujing.detector.sentiment import SentimentScorer, shipped_model
from yujing.detector.sentiment_features import QUESTION, QUESTION_END, analyse, features
from yujing.detector.sentiment_model import SentimentModel, train

QUESTIONS = [
    "请问重疾险怎么理赔？",
    "续保需要什么材料",
    "请问理赔需要准备哪些材料",
    "想咨询一下，意外险的等待期是多久？",
    "保单丢了如何补办？",
]
COMPLAINTS_AS_QUESTIONS = [
    "凭什么拒赔？骗子公司！",
    "交了十年保费说拒赔就拒赔，有没有天理？",
    "为什么理赔拖了三个月还没到账，投诉有用吗？",
]


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return SentimentScorer()


@pytest.fixture(scope="module")
def polarity_only() -> SentimentScorer:
    return SentimentScorer(model=SentimentModel(shipped_model().polarity))


def test_analyse_reads_question_cues_and_complaints():
    feats, questions, complaint = analyse("请问怎么理赔？")
    assert feats == features("请问怎么理赔？")
    assert questions.count(QUESTION) == 2 and QUESTION_END in questions
    assert not complaint
    assert analyse("凭什么拒赔？")[2]  # 拒赔 is a complaint cue
    assert analyse("请问还能买吗！")[2]  # so is an exclamation mark
    assert not analyse("并非拒赔，请问怎么理赔")[2]  # a negated complaint cue is none
    assert analyse("理赔很快")[1] == []


_SHORT_OF_NEUTRAL = pytest.mark.xfail(
    reason="pulled towards 0.5 but still just below 0.4: the stage is tuned not to cost polar "
    "texts their label, which keeps it cautious",
    strict=True,  # a model that gets them right must update this test
)


@pytest.mark.parametrize(
    "text",
    [
        QUESTIONS[0],
        pytest.param(QUESTIONS[1], marks=_SHORT_OF_NEUTRAL),
        QUESTIONS[2],
        pytest.param(QUESTIONS[3], marks=_SHORT_OF_NEUTRAL),
        QUESTIONS[4],
    ],
)
def test_neutral_questions_are_neutral(scorer, text):
    assert scorer.label(scorer(text)) == "neutral"


def test_the_stage_moves_questions_towards_the_middle(scorer, polarity_only):
    for text in QUESTIONS:
        before, after = polarity_only(text), scorer(text)
        assert abs(after - 0.5) <= abs(before - 0.5)
        # the pull never crosses 0.5: which side a text is on is the polarity model's call
        assert (after - 0.5) * (before - 0.5) >= 0


@pytest.mark.parametrize("text", COMPLAINTS_AS_QUESTIONS)
def test_complaints_phrased_as_questions_stay_negative(scorer, polarity_only, text):
    assert scorer(text) == polarity_only(text)
    assert scorer.label(scorer(text)) == "negative"


@pytest.mark.parametrize(
    "text",
    ["理赔拖了三个月还拒赔，骗子公司", "理赔很快，三天到账，非常满意", "退保扣了一大半，太坑了"],
)
def test_texts_without_question_cues_skip_the_stage(scorer, polarity_only, text):
    assert scorer(text) == polarity_only(text)


def test_stage_arithmetic_on_a_toy_model():
    polar = [("neg", "拒赔，骗子", 1.0), ("pos", "很满意，点赞", 1.0)]
    neutral_docs = [
        ("pos", "请问怎么理赔", 1.0),
        ("neg", "拒赔骗子", 1.0),
        ("neg", "满意点赞", 1.0),
    ]
    pol = train(polar, features, min_count=1)
    neu = train(neutral_docs, lambda t: analyse(t)[0] + analyse(t)[1], min_count=1)
    model = SentimentModel(pol, neu)
    feats, questions, complaint = analyse("请问怎么理赔")
    p = pol.prob(feats)
    p_neu = neu.prob(feats + questions)
    assert model.prob(feats, questions, complaint) == pytest.approx(0.5 + (p - 0.5) * (1 - p_neu))
    assert model.prob(feats, questions, True) == p  # a complaint cue keeps the stage shut
    assert model.prob(feats, [], False) == p  # so does the absence of question cues
    assert SentimentModel(pol).prob(feats, questions, complaint) == p


def test_shipped_stage_was_validated_without_losing_polar_texts():
    report = shipped_model().meta["neutral_stage_validation"]
    assert report["polar_correct_after"] >= report["polar_correct_before"]
    assert report["reviews_correct_after"] >= report["reviews_correct_before"] - 0.01
    assert report["neutral_correct_after"] > report["neutral_correct_before"]
