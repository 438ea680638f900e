"""``yujing replay``: the detector run offline over history (posts, counts or the store)."""

from .counts import measurement_scale, regular, replay_counts
from .posts import PostReplay, ReplayInputError, replay_main, replay_posts
from .store import Verdicts, judge, replay_store

__all__ = [
    "PostReplay",
    "ReplayInputError",
    "Verdicts",
    "judge",
    "measurement_scale",
    "regular",
    "replay_counts",
    "replay_main",
    "replay_posts",
    "replay_store",
]
