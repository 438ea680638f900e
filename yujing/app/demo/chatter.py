"""The demo world's ordinary chatter: a week of history before it starts, and the posts that make
it up, on the forum, in the feed and on the phone.

Apart from the world, which decides when a post is due; here is only what an ordinary post looks
like and when the past week's posts were made. None of it may look like the start of a burst.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from random import Random

from . import content, render
from .content import PRODUCTS, DemoProduct
from .posts import DemoPost

__all__ = ["HOUR_CAP", "HOUR_WEIGHTS", "background_post", "history", "history_times"]

# Never a third post of one product in any hour, in the history as in the live chatter.
HOUR_CAP = 2
# Relative chance of a post in each local hour: quiet nights, busy lunch and evenings.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 10, 8, 7, 7, 8, 8, 9, 11, 12, 11, 8, 4)


def history(seed: int, now: float, new_seq: Callable[[str], int]) -> Iterator[DemoPost]:
    """The past week's posts about every product, oldest first; ``new_seq`` numbers them."""
    rng = Random(f"{seed}-history")
    planned: list[tuple[float, DemoProduct]] = []
    for product in PRODUCTS:
        planned += [(t, product) for t in history_times(rng, now)]
    planned.sort(key=lambda x: x[0])
    # Two old calls in the inbox show that transcripts are history too.
    calls = {i for i, (t, _) in enumerate(planned) if t < now - 86400}
    calls = set(rng.sample(sorted(calls), k=min(2, len(calls))))
    authors = content.usernames(rng, 60)
    for i, (t, product) in enumerate(planned):
        channel = "transcript" if i in calls else "forum" if rng.random() < 0.65 else "feed"
        author = rng.choice(authors)
        yield background_post(rng, new_seq(channel), product, channel, t, author)


def background_post(
    rng: Random, seq: int, product: DemoProduct | None, channel: str, t: float, author: str
) -> DemoPost:
    """An ordinary post, or an ordinary call; ``product`` None is chatter that names none."""
    if channel == "transcript":
        assert product is not None
        return DemoPost(
            seq,
            channel,
            product.id,
            "",
            content.background_call(rng, product),
            content.masked_phone(rng),
            t,
        )
    if product is None:
        title, text = content.general_post(rng)
    elif channel == "feed" and rng.random() < 0.4:
        title, text = content.news_post(rng, product)
        author = rng.choice(("本站编辑", "记者 周宁", "记者 林晓"))
    else:
        title, text = content.background_post(rng, product)
    return DemoPost(
        seq,
        channel,
        product.id if product else None,
        title,
        text,
        author,
        t,
        views=rng.randint(20, 900),
        comments=rng.randint(0, 25),
        replies=content.replies(rng, False),
    )


def history_times(rng: Random, now: float) -> list[float]:
    """About 2-4 posts a day over the past week, mostly in waking hours, none too recent."""
    today = datetime.fromtimestamp(now, render.TZ).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    times = []
    for d in range(7, -1, -1):
        day = today - timedelta(days=d)
        for _ in range(rng.randint(2, 4)):
            hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            t = (
                day + timedelta(hours=hour, minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
            ).timestamp()
            if now - 7 * 86400 + 3600 < t < now - 300:
                times.append(t)
    # Chance could put three posts in the last hours; move the extras back so nothing near
    # "now" looks like the start of a burst.
    times.sort(reverse=True)
    recent = [t for t in times if t > now - 3 * 3600]
    for t in recent[HOUR_CAP:]:
        times[times.index(t)] = t - 6 * 3600
    return times
