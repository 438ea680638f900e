"""Understanding one post: clean text, personal data out, products, categories, sentiment and
collective language."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from yujing.config import Category, Config, Product
from yujing.records import Post, ScoredPost, format_time

from .categories import CategoryTagger
from .complaint import ComplaintGate, shipped_gate
from .normalize import normalize
from .products import ProductTagger
from .redact import Redactor, redactor_for
from .sentiment import SentimentScorer
from .signals import collective_terms_in_normalized

__all__ = ["FUTURE_SLACK", "Understander", "dated", "understander_for"]

# A title cut from the start of the text (hotline transcripts) may end inside a number.
_TRAILING_NUMBER = re.compile(r"[0-9][0-9 +-]*\Z")
_NUMBER_GOES_ON = re.compile(r"[ -]?[0-9]")
# A post dated later than this after it was fetched is misdated (a wrong clock, local time read
# as UTC); minutes of clock skew are ordinary.
FUTURE_SLACK = timedelta(minutes=15)


class Understander:
    """``understand(post)``: redact -> tag products -> tag categories -> sentiment -> complaint
    gate -> collective.

    Personal data is taken out of the title and text first, so copy detection, the tags and
    everything stored, indexed or sent only ever see placeholders. The url and the extras
    (file names, agent, tags: whatever the collector added) are redacted too, since they are
    stored and sent as well; the url stays a working link shape. The kinds redacted are kept
    in ``extras["redacted"]`` ({"phone": 1}), the collective terms in
    ``extras["collective_terms"]``. The author is already a salted hash. A post dated in the
    future (past ``FUTURE_SLACK`` after it was fetched) is dated when it was fetched, its own date
    kept in ``extras["published_future"]``.
    """

    def __init__(
        self,
        products: Iterable[Product],
        categories: Iterable[Category] = (),
        redactor: Redactor | None = None,
        scorer: SentimentScorer | None = None,
        gate: ComplaintGate | None = None,
    ):
        self.products = ProductTagger(products)
        self.categories = CategoryTagger(categories)
        self.redactor = redactor or Redactor()
        self.scorer = scorer or SentimentScorer()
        self.gate = gate or shipped_gate()

    def understand(self, post: Post) -> ScoredPost:
        """The scored post, carrying normalised, redacted title and text.

        Which post it is, and which copy group its text belongs to, is decided after this, by
        ``identity.Identity``, against the posts before it.
        """
        # Normalised first: full-width digits and zero-width characters would hide a number.
        title, text = normalize(post.title), normalize(post.text)
        title = _drop_cut_number(title, text)
        title, in_title = self.redactor.redact(title)
        text, in_text = self.redactor.redact(text)
        url, in_url = self.redactor.redact_url(post.url)
        extras, in_extras = self.redactor.redact_value(post.extras)
        # Titles often carry the product name and the anger, so both are read together.
        whole = f"{title} {text}".strip()
        terms = collective_terms_in_normalized(whole)
        redacted = _merge(_merge(in_title, in_text), _merge(in_url, in_extras))
        extras = _extras(extras, redacted, terms)
        published = dated(post)
        if published != post.published_at:
            extras = {**extras, "published_future": format_time(post.published_at)}
        categories = self.categories.tag_normalized(whole)
        # The gate weighs the letters and pairs the sentiment model read: one analysis for both.
        # Another scorer (a baseline, a test's) only scores; the gate then reads the text itself.
        if isinstance(self.scorer, SentimentScorer):
            sentiment, units = self.scorer.read(whole)
        else:
            sentiment, units = self.scorer.score(whole), None
        return ScoredPost(
            post=replace(
                post, url=url, title=title, text=text, extras=extras, published_at=published
            ),
            products=self.products.tag_normalized(whole),
            categories=categories,
            sentiment=sentiment,
            collective=bool(terms),
            complaint=self.gate.is_complaint(whole, sentiment, categories, units),
        )


def dated(post: Post) -> datetime:
    """When ``post`` counts: its publication time, or when it was fetched if it is dated past
    ``FUTURE_SLACK`` after that. A date hours ahead would move the product's clock past the
    posts to come, which would then all arrive "late" and never count in a window."""
    if post.published_at > post.fetched_at + FUTURE_SLACK:
        return post.fetched_at
    return post.published_at


def understander_for(config: Config) -> Understander:
    """The Understander a config describes: the daemon, ingest and replay all use this one."""
    return Understander(config.products, config.categories, redactor_for(config))


def _drop_cut_number(title: str, text: str) -> str:
    # A title made of the text's first characters can end in the first digits of a phone or
    # ID number, too few to be recognised; the number is in the text, so it goes from the title.
    if len(title) < len(text) and text.startswith(title):
        cut = _TRAILING_NUMBER.search(title)
        if cut and _NUMBER_GOES_ON.match(text, len(title)):
            return title[: cut.start()].rstrip()
    return title


def _merge(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    if not a:
        return b
    merged = dict(a)
    for kind, n in b.items():
        merged[kind] = merged.get(kind, 0) + n
    return merged


def _extras(extras: dict[str, Any], redacted: dict[str, int], terms: list[str]) -> dict[str, Any]:
    if not redacted and not terms:
        return extras
    out = dict(extras)
    if redacted:
        out["redacted"] = redacted
    if terms:
        out["collective_terms"] = terms
    return out
