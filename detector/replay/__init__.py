"""``yujing replay``: the detector run offline over history, as the daemon would have run it.

``replay_posts`` (posts as JSON lines), ``replay_counts`` (a CSV of counts or readings) and
``replay_store`` (the posts a store holds, read from it as they come) each hand every alert event
to ``emit`` and what they read differently or left out to ``say``; ``ReplayInputError`` says there
was nothing to replay. The command line (``yujing.app.cli.replay``) prints them.
"""

from .common import ReplayInputError
from .counts import measurement_scale, regular, replay_counts
from .posts import PostReplay, replay_posts
from .store import StoreReplay, Verdicts, judge, replay_store

__all__ = [
    "PostReplay",
    "ReplayInputError",
    "StoreReplay",
    "Verdicts",
    "judge",
    "measurement_scale",
    "regular",
    "replay_counts",
    "replay_posts",
    "replay_store",
]
