from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from snownlp.classification.bayes import Bayes

from yujing.detector.sentiment import (
    MODEL_PATH,
    NEGATIVE_BELOW,
    POSITIVE_ABOVE,
    RawSnowNLPScorer,
    SentimentScorer,
    sentiment_main,
)
from yujing.detector.sentiment_features import NEGATED, features
from yujing.detector.sentiment_model import NaiveBayesModel, SentimentModel, train
from yujing.detector.sentiment_train import insurance_docs, is_held_out, split

REPO = Path(__file__).resolve().parents[2]

SAMPLE = [
    ("neg", "拒赔，骗子公司", 1.0),
    ("neg", "理赔太慢，非常失望", 1.0),
    ("neg", "客服态度差，一直推脱", 1.0),
    ("neg", "垃圾保险，再也不买了", 1.0),
    ("pos", "理赔很快，非常满意", 1.0),
    ("pos", "客服耐心，服务很好", 1.0),
    ("pos", "三天到账，点赞推荐", 1.0),
    ("pos", "服务专业，很满意", 1.0),
]


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return SentimentScorer()


def test_training_on_a_small_sample_classifies_obvious_cases():
    model = train(SAMPLE, features, min_count=1)
    assert model.prob(features("骗子公司，拒赔，失望")) < 0.5
    assert model.prob(features("理赔很快，服务很好，满意")) > 0.5


def test_fast_scoring_is_snownlp_bayes_arithmetic():
    # Same counts through snownlp's own Bayes: the stored log-ratio table must give its
    # posterior exactly (calibration off).
    model = train(SAMPLE, features, min_count=1)
    bayes = Bayes()
    bayes.train([[features(t), lab] for lab, t, _ in SAMPLE])
    for text in ("拒赔太慢", "服务很好", "请问怎么理赔", "完全没见过的字"):
        cls, p = bayes.classify(features(text))
        p_pos = p if cls == "pos" else 1 - p
        assert model.prob(features(text)) == pytest.approx(p_pos, abs=1e-9)


def test_save_load_round_trip_is_deterministic(tmp_path):
    polarity = train(SAMPLE, features, min_count=1)
    polarity.temperature, polarity.length_power = 1.5, 0.5
    neutral = train(SAMPLE[2:6], features, min_count=1)
    neutral.temperature, neutral.length_power, neutral.bias = 2.0, 1.0, -1.5
    for model in (SentimentModel(polarity), SentimentModel(polarity, neutral, meta={"a": 1})):
        a, b = tmp_path / "a.gz", tmp_path / "b.gz"
        model.save(a)
        model.save(b)
        assert a.read_bytes() == b.read_bytes()
        loaded = SentimentModel.load(a)
        assert loaded.meta == model.meta
        text = features("理赔很快，非常满意")
        assert loaded.polarity.prob(text) == pytest.approx(polarity.prob(text), abs=1e-3)
        if model.neutral is None:
            assert loaded.neutral is None
        else:
            assert isinstance(loaded.neutral, NaiveBayesModel)
            assert loaded.neutral.bias == -1.5
            assert loaded.neutral.prob(text) == pytest.approx(neutral.prob(text), abs=1e-3)
            assert loaded.prob(text, ["@q"], False) == pytest.approx(
                model.prob(text, ["@q"], False), abs=1e-3
            )


def test_shipped_model_is_small_and_says_where_it_came_from():
    assert MODEL_PATH.stat().st_size < 3_000_000
    with gzip.open(MODEL_PATH, "rt", encoding="utf-8") as f:
        header = json.loads(f.readline())
    assert "MIT" in header["meta"]["licence"]
    assert header["meta"]["trained_on"]["insurance"] > 0
    assert set(header["tables"]) == {"polarity", "neutral"}


def test_held_out_split_is_stable_and_disjoint():
    docs = insurance_docs()
    assert len(docs) >= 400
    assert {lab for lab, _ in docs} == {"neg", "pos", "neu"}
    train_part, held = split(docs, 0.3)
    assert train_part and held
    assert not {t for _, t in train_part} & {t for _, t in held}
    assert all(is_held_out(t, 0.3) for _, t in held)
    assert split(docs, 0.3) == (train_part, held)


def test_negation_marks_the_governed_characters():
    assert NEGATED + "满" in features("我不满意")
    assert "满" not in features("我不满意")
    # double negation reads plain again; punctuation ends the scope
    assert "满" in features("没有不满意")
    assert "好" in features("不行，好")


def test_clear_cases_are_ordered_and_labelled(scorer):
    complaints = ["理赔拖了三个月还拒赔，骗子公司！", "退保扣了一大半，业务员误导，太坑了"]
    praise = ["理赔很快，三天到账，非常满意，推荐！", "客服耐心专业，服务周到，点赞"]
    assert max(map(scorer, complaints)) < min(map(scorer, praise))
    assert all(scorer.label(scorer(t)) == "negative" for t in complaints)
    assert all(scorer.label(scorer(t)) == "positive" for t in praise)


@pytest.mark.parametrize(
    ("negated", "plain"),
    [("对理赔结果不满意", "对理赔结果非常满意"), ("理赔一点也不顺利", "理赔很顺利")],
)
def test_negation_turns_praise_down(scorer, negated, plain):
    assert scorer(negated) < NEGATIVE_BELOW < POSITIVE_ABOVE < scorer(plain)


@pytest.mark.parametrize(
    ("double", "single"),
    [("不是不赔", "不赔"), ("并非拒赔", "拒赔"), ("没有不满意的地方", "有不满意的地方")],
)
def test_negated_complaint_scores_above_the_complaint(scorer, double, single):
    assert scorer(double) > scorer(single)


def test_no_complaint_reads_positive(scorer):
    assert scorer.label(scorer("没有不满意的地方，理赔顺利")) == "positive"


@pytest.mark.parametrize(
    "text", ['真是"好"保险，交钱秒到，赔钱没门', "呵呵，效率真高，两个月了还在审核"]
)
def test_sarcasm_is_not_positive(scorer, text):
    assert scorer.label(scorer(text)) != "positive"


def test_empty_and_blank_text_is_neutral(scorer):
    assert scorer("") == scorer("   ") == 0.5
    assert scorer.label(scorer("")) == "neutral"


def test_score_many_and_call_agree(scorer):
    texts = ["拒赔", "很满意", ""]
    assert scorer.score_many(texts) == [scorer(t) for t in texts]


def test_label_thresholds_are_the_named_constants():
    assert (NEGATIVE_BELOW, POSITIVE_ABOVE) == (0.4, 0.6)
    for cls in (SentimentScorer, RawSnowNLPScorer):
        assert cls.label(0.39) == "negative"
        assert cls.label(0.4) == "neutral"
        assert cls.label(0.6) == "neutral"
        assert cls.label(0.61) == "positive"


def test_raw_snownlp_scorer_keeps_the_api():
    raw = RawSnowNLPScorer()
    assert raw("服务很好，非常满意") > raw("太差了，垃圾，骗子")
    assert raw("") == 0.5


def test_sentiment_main_writes_one_json_line_per_input_line(tmp_path):
    import io

    out = io.StringIO()
    assert sentiment_main(io.StringIO("拒赔，骗子公司\n\n很满意\n"), out) == 0
    lines = out.getvalue().splitlines()
    assert [json.loads(x)["label"] for x in lines] == ["negative", "neutral", "positive"]


def test_cli_round_trip_through_real_stdin_and_stdout():
    lines = [
        "理赔拖了半年还拒赔，骗子公司，大家千万别买",
        "",
        "理赔很快，三天就到账了，非常满意，推荐",
        "退保扣了八成，业务员误导，太坑了",
        "客服耐心专业，服务周到，点赞",
        "  ",
    ]
    env = dict(os.environ)
    proc = subprocess.run(
        [sys.executable, "-m", "yujing", "sentiment"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=REPO,
        env=env,
        check=True,
        timeout=120,
    )
    out = proc.stdout.splitlines()
    assert len(out) == len(lines)
    rows = [json.loads(x) for x in out]
    assert all(set(r) == {"score", "label"} and 0.0 <= r["score"] <= 1.0 for r in rows)
    assert [r["label"] for r in rows] == [
        "negative",
        "neutral",
        "positive",
        "negative",
        "positive",
        "neutral",
    ]
    assert rows[1]["score"] == 0.5


def test_text_without_chinese_is_not_guessed() -> None:
    from yujing.detector.sentiment import SentimentScorer

    scorer = SentimentScorer()
    assert scorer.score("This product is great") == 0.5
    assert scorer.label(scorer.score("12345 !!!")) == "neutral"
    assert scorer.score("理赔被拒，太坑了") < 0.4, "Chinese text is still scored"
