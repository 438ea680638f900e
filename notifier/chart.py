"""A small PNG of a wave: posts per bucket against the usual level, for the wave's thread.

Drawn with matplotlib's Agg backend (no display, no GUI toolkit), imported only here and only
by the receivers that send pictures. The picture holds no words: the message beside it says
what it shows, and a server without CJK fonts would draw Chinese as empty boxes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

__all__ = ["wave_chart"]

SIZE = (6.0, 2.4)  # inches: a phone-width picture
DPI = 100


def wave_chart(
    counts: Sequence[float],
    *,
    usual: float,
    bucket: float,
    end: datetime,
    tz: tzinfo,
    colour: str,
) -> bytes:
    """PNG bytes: ``counts`` (oldest first, the last bucket holding ``end``) as bars in
    ``colour``, ``usual`` posts per bucket as a dashed line, local times along the bottom."""
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: never a window, whatever the environment says
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure

    step = timedelta(seconds=bucket)
    last = datetime.fromtimestamp(end.timestamp() // bucket * bucket, tz)
    starts = [last - step * (len(counts) - 1 - i) for i in range(len(counts))]
    # A Figure, not pyplot: nothing global, so concurrent senders do not share a figure.
    fig = Figure(figsize=SIZE, dpi=DPI)
    ax = fig.add_subplot()
    ax.bar(starts, list(counts), width=step * 0.85, align="edge", color=colour)
    ax.axhline(usual, color="#616161", linestyle="--", linewidth=1.2)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    ax.set_ylim(bottom=0, top=max([usual, *counts, 1]) * 1.15)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
