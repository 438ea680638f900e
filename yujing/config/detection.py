"""What to watch and when it is a burst: products, complaint categories, burst rules."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .base import Duration, Strict, Term, fold

__all__ = [
    "DISPUTES",
    "LINES",
    "Product",
    "Category",
    "Categories",
    "BurstRule",
    "BurstOverride",
    "Detection",
]


# Complaints as the regulator counts them: by dispute type (a category's ``dispute``) and by line
# of insurance (a product's ``line``). A dispute type's id in the config, and its name in reports.
DISPUTES: dict[str, str] = {
    "claims": "理赔纠纷",
    "sales": "销售纠纷",
    "surrender": "退保纠纷",
    "other": "其他",
}
Dispute = Literal["claims", "sales", "surrender", "other"]
# The lines a product may name (``line:``), in the words of the regulator's complaint statistics
# (property lines first, then life and health).
LINES: tuple[str, ...] = (
    "车险",
    "企业财产险",
    "家庭财产险",
    "责任险",
    "信用保证保险",
    "农业保险",
    "普通寿险",
    "分红险",
    "万能险",
    "投连险",
    "年金险",
    "重疾险",
    "医疗险",
    "意外险",
    "其他",
)


class Product(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name: str
    aliases: list[str] = []
    # Short forms people type (安心e生 -> "e生"); matched exactly like aliases.
    abbreviations: list[str] = []
    # The company alone never tags the product (a company sells many products). Its name only
    # settles an alias shared across companies and keeps aliases from firing inside it.
    company: str | None = None
    # The line of insurance it is counted under in reports (one of ``LINES``); none: 未分类.
    line: str | None = None

    @field_validator("line")
    @classmethod
    def _known_line(cls, line: str | None) -> str | None:
        if line is not None and line not in LINES:
            raise ValueError(f"unknown line {line!r}; use one of: {'、'.join(LINES)}")
        return line

    @field_validator("aliases", "abbreviations")
    @classmethod
    def _no_single_characters(cls, terms: list[str]) -> list[str]:
        # 乐 is in 快乐, 安 in 平安: one character names no product, it only tags other words.
        short = [t for t in terms if len(t.strip()) < 2]
        if short:
            raise ValueError(
                f"{short[0]!r} is one character: it would tag every word that holds it "
                "(乐 in 快乐); write two characters or more"
            )
        return terms

    def terms(self) -> list[str]:
        return [self.name, *self.aliases, *self.abbreviations]


class Category(Strict):
    """A complaint category: a post is tagged when it uses one of the keywords, unless the
    keyword is negated (see config/categories.yaml for how)."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1)
    keywords: list[Term] = Field(min_length=1)
    negations: list[Term] = []
    # The dispute type its complaints count under in reports (``DISPUTES``).
    dispute: Dispute = "other"

    @field_validator("negations")
    @classmethod
    def _negations_can_cancel(cls, value: list[str], info: ValidationInfo) -> list[str]:
        # A negation cancels a keyword hit inside its own span; one containing no keyword
        # could never cancel anything, which is a mistake worth reporting.
        keywords = [fold(k) for k in info.data.get("keywords") or ()]
        for phrase in value:
            if keywords and not any(k in fold(phrase) for k in keywords):
                raise ValueError(
                    f"negation {phrase!r} contains none of the keywords, so it never cancels a hit"
                )
        return value


def _unique_ids(value: list[Category]) -> list[Category]:
    ids = [c.id for c in value]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"category ids must be unique; repeated: {', '.join(dupes)}")
    return value


Categories = Annotated[list[Category], AfterValidator(_unique_ids)]


class BurstRule(Strict):
    """When a series (a product, or a product in one complaint category) is in a burst.

    Posts are counted in ``bucket``-long buckets. The last ``window`` of buckets is compared with
    what the series' own learned baseline (level, hour of day, weekday; remembered with a
    half-life of ``baseline``) expects there. It is a burst when the count is at least
    ``min_count``, at least ``ratio`` times the expected, and a count that high would happen by
    chance with probability below ``p_value`` (negative-binomial tail). A series with less than
    ``cold_start`` of history has no trusted baseline yet and needs ``min_count`` posts against a
    floor of half a post per window.

    A burst is a 群体投诉 only when its window holds complaints of at least ``min_people``
    distinct complainants: named authors, and hotline calls (a caller's number is a person; a call
    without one counts as one caller). Posts without an author (a feed entry without one, a guest
    post) cannot tell people apart: they add to a group's count but never make one, and one
    person's posts, however many, are never a group. One complainant with ``repeat_posts`` or
    more complaints in the window raises a quieter alert of its own kind, ``repeat``
    (同一用户反复投诉), once per spell of that person's posting; 0 raises none.

    The tail's spread is learned from each series' own windows, so ``p_value`` means the same on
    a quiet product and on a noisy busy one; 1e-4 was chosen on real labelled series and on the
    synthetic complaint benchmark (``benchmarks/detection_eval.py``). ``ratio`` is the practical
    floor beside it: on a very regular series (or after a long flat stretch) a rise of a few per
    cent can be improbable and still not worth an alert. ``min_count`` is the floor in posts.
    """

    window: Duration = 3600.0
    baseline: Duration = 7 * 86400.0
    min_count: int = Field(default=5, ge=1)
    ratio: float = Field(default=1.2, gt=1.0)
    bucket: Duration = 600.0
    p_value: float = Field(default=1e-4, gt=0.0, lt=0.5)
    cold_start: Duration = 3 * 86400.0
    min_people: int = Field(default=3, ge=1)
    repeat_posts: int = Field(default=5, ge=0)

    @model_validator(mode="after")
    def _bucket_fits(self) -> BurstRule:
        if self.bucket > self.window:
            raise ValueError("bucket must not be longer than window")
        return self


class BurstOverride(Strict):
    window: Duration | None = None
    baseline: Duration | None = None
    min_count: int | None = Field(default=None, ge=1)
    ratio: float | None = Field(default=None, gt=1.0)
    bucket: Duration | None = None
    p_value: float | None = Field(default=None, gt=0.0, lt=0.5)
    cold_start: Duration | None = None
    min_people: int | None = Field(default=None, ge=1)
    repeat_posts: int | None = Field(default=None, ge=0)


class Detection(Strict):
    evaluate_every: Duration = 60.0
    burst: BurstRule = BurstRule()
    products: dict[str, BurstOverride] = {}

    @model_validator(mode="after")
    def _overrides_fit(self) -> Detection:
        for product in self.products:
            try:
                self.rule_for(product)
            except ValidationError as exc:
                raise ValueError(
                    f"products.{product}: "
                    + "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
                ) from None
        return self

    def rule_for(self, product: str) -> BurstRule:
        override = self.products.get(product)
        if override is None:
            return self.burst
        # Validated again, so an override cannot make bucket longer than window.
        return BurstRule.model_validate(
            self.burst.model_dump() | override.model_dump(exclude_none=True)
        )
