"""The wave of complaints about one product: written in advance, then released post by post.

Apart from the world, which only releases what is due: the plan (how many posts on which source,
by whom, saying what, when) and the post each planned one becomes are fixed by the seed alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from . import content
from .content import DemoProduct
from .posts import DemoPost

__all__ = ["Planned", "plan_wave", "wave_post"]


@dataclass
class Planned:
    """A wave post written in advance and released at ``at``."""

    at: float
    channel: str
    title: str
    text: str
    author: str
    index: int  # order in the wave


def plan_wave(
    seed: int, product_id: str, product: DemoProduct, size: int, duration: float, start: float
) -> list[Planned]:
    """``size`` posts about ``product`` between ``start`` and ``start + duration``, in order."""
    rng = Random(f"{seed}-wave-{product_id}")
    n = size
    # Half on the forum, a quarter each in the feed and on the phone; shuffled so every
    # source fills up over the whole wave.
    n_feed = round(n * 0.25)
    n_call = round(n * 0.25)
    channels = ["feed"] * n_feed + ["transcript"] * n_call + ["forum"] * (n - n_feed - n_call)
    rng.shuffle(channels)
    collective = set(rng.sample(range(n), k=round(n / 3)))
    # About four in five complainants are distinct; the rest post twice.
    distinct = max(1, round(n * 0.8))
    handles = content.usernames(rng, distinct)
    phones = [content.masked_phone(rng) for _ in range(distinct)]
    offsets = sorted([0.0, duration] + [rng.uniform(0, duration) for _ in range(n - 2)])
    seen: set[str] = set()
    planned: list[Planned] = []
    for i in range(n):
        who = i if i < distinct else rng.randrange(distinct)
        claim = rng.random() < 0.6
        for _ in range(50):  # re-roll the rare exact repeat
            if channels[i] == "transcript":
                title = ""
                text = content.wave_call(rng, product, claim=claim, collective=i in collective)
            else:
                title, text = content.wave_post(
                    rng, product, claim=claim, collective=i in collective
                )
            if text not in seen:
                break
        seen.add(text)
        author = phones[who] if channels[i] == "transcript" else handles[who]
        planned.append(Planned(start + offsets[i], channels[i], title, text, author, i))
    return planned


def wave_post(seed: int, plan: Planned, seq: int, product_id: str) -> DemoPost:
    """The post a planned one becomes when released, numbered ``seq``."""
    rng = Random(f"{seed}-reach-{plan.index}")
    # Later posts ride on the earlier ones' attention, so reach snowballs through the wave.
    return DemoPost(
        seq,
        plan.channel,
        product_id,
        plan.title,
        plan.text,
        plan.author,
        plan.at,
        views=60 + 40 * plan.index + rng.randint(0, 80),
        comments=rng.randint(3, 12) + plan.index,
        growth=rng.uniform(2.0, 8.0),
        wave=True,
        replies=content.replies(rng, True),
    )
