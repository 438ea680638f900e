"""A report's charts as PNG bytes, with Chinese titles and legends.

Drawn with matplotlib's Agg backend (no display), imported only here. Unlike the wave's chart in
chat, which holds no words, these carry product and channel names, so they need a font with CJK
glyphs: the first of ``CJK_FAMILIES`` found on the machine (Debian's ``fonts-noto-cjk`` gives
Noto Sans CJK SC). Without one a chart would draw Chinese as empty boxes: ``NoCjkFont`` says
what to install instead.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

__all__ = ["CJK_FAMILIES", "FONT_STACK", "NoCjkFont", "cjk_family", "trend_chart", "share_chart"]

# Fonts with Simplified Chinese glyphs, preferred first, for the charts and the HTML alike.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
)
# Their files, by the start of the name, for a font installed after matplotlib cached its list.
_CJK_FILES = ("notosanscjk", "notosanssc", "sourcehansans", "wqy-", "msyh", "pingfang")
# Latin letters and digits from DejaVu Sans, Chinese from the first CJK font there is.
FONT_STACK = ", ".join(f'"{f}"' for f in ("DejaVu Sans", *CJK_FAMILIES)) + ", sans-serif"
DPI = 110
PALETTE = ("#c62828", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#757575")


class NoCjkFont(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "no font with Chinese glyphs found for the report's charts; install one, e.g. "
            "apt-get install fonts-noto-cjk (Debian/Ubuntu), or any of: " + ", ".join(CJK_FAMILIES)
        )


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """The family the charts are drawn in; raises ``NoCjkFont`` when the machine has none."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    found = known()
    if found is None:
        for path in font_manager.findSystemFonts():
            if path.rsplit("/", 1)[-1].lower().startswith(_CJK_FILES):
                font_manager.fontManager.addfont(path)
        found = known()
    if found is None:
        raise NoCjkFont()
    return found


def _figure(size: tuple[float, float]) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: never a window
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI)
    return fig, fig.add_subplot()


def _png(fig: Any) -> bytes:
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _style() -> dict[str, Any]:
    # A fallback list: digits and Latin from DejaVu when the CJK font lacks a glyph.
    # A CJK font in one weight (WenQuanYi's medium) serves normal and bold text alike; matplotlib
    # would warn about it on every chart.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    return {"font.family": [cjk_family(), "DejaVu Sans"], "axes.unicode_minus": False}


def trend_chart(
    series: Mapping[str, Mapping[datetime, int]],
    *,
    title: str,
    step: timedelta,
    stacked: bool,
) -> bytes:
    """``series``: name -> counts per step (same steps, in order). Stacked bars (channels add up
    to the total) or one line per name (products compared)."""
    import matplotlib
    from matplotlib import dates as mdates

    with matplotlib.rc_context(_style()):
        fig, ax = _figure((7.2, 2.8))
        bottom: list[int] | None = None
        for i, (name, counts) in enumerate(series.items()):
            steps, values = list(counts), list(counts.values())
            colour = PALETTE[i % len(PALETTE)]
            if stacked:
                ax.bar(
                    steps, values, width=step * 0.8, align="edge", bottom=bottom,
                    color=colour, label=name,
                )  # fmt: skip
                bottom = (
                    values
                    if bottom is None
                    else [a + b for a, b in zip(bottom, values, strict=True)]
                )
            else:
                ax.plot(steps, values, marker="o", markersize=3, color=colour, label=name)
        if series:
            tz = next(iter(next(iter(series.values())))).tzinfo
            fmt = "%H:%M" if step < timedelta(days=1) else "%m-%d"
            ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt, tz=tz))
            ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=min(4, len(series)))
        ax.set_title(title, loc="left", fontsize=11)
        ax.set_ylabel("投诉（条）", fontsize=9)
        ax.set_ylim(bottom=0)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
        return _png(fig)


def share_chart(parts: Mapping[str, int], *, title: str, colours: Mapping[str, str]) -> bytes:
    """One horizontal bar split into ``parts`` (say 负面/中性/正面), each with its count."""
    import matplotlib

    with matplotlib.rc_context(_style()):
        fig, ax = _figure((7.2, 1.3))
        total = sum(parts.values())
        left = 0
        for name, value in parts.items():
            ax.barh([0], [value], left=left, color=colours.get(name, "#9e9e9e"), height=0.6)
            if value >= total * 0.1:  # a narrow part's label would spill out; the text says it
                ax.text(
                    left + value / 2, 0, f"{name} {value}", ha="center", va="center",
                    color="white", fontsize=9,
                )  # fmt: skip
            left += value
        ax.set_xlim(0, max(total, 1))
        ax.set_title(title, loc="left", fontsize=11)
        ax.axis("off")
        return _png(fig)
