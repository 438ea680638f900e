"""``yujing report daily`` on the demo's store: HTML and PDF whose numbers are the store's, counted
again from its raw rows, and whose Chinese is drawn in glyphs, not in empty boxes."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from testkit.recount import assert_matches, recount
from yujing.app.reports.charts import cjk_family
from yujing.app.reports.complaints import DEADLINES
from yujing.app.reports.period import Period
from yujing.app.reports.query import build_report
from yujing.config import load_config
from yujing.store import Store

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="needs poppler-utils (scripts/test installs it)"
)


def yujing(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yujing", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def demo_dir(demo_once: tuple[subprocess.CompletedProcess, Path]) -> Path:
    """The demo's store, as ``yujing demo --once`` leaves it (its wave alerted)."""
    result, workdir = demo_once
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir


def first_line(image: Image.Image) -> np.ndarray:
    """The ink of the first line of text on a page (the report's title), cropped to its box."""
    ink = np.asarray(image.convert("L")) < 128
    rows = np.flatnonzero(ink.any(axis=1))
    top = end = rows[0]
    while end + 1 < ink.shape[0] and ink[end + 1].any():
        end += 1
    band = ink[top : end + 1]
    cols = np.flatnonzero(band.any(axis=0))
    return band[:, cols[0] : cols[-1] + 1]


def shape(ink: np.ndarray) -> np.ndarray:
    """Ink scaled to one size, so texts of different sizes compare glyph by glyph."""
    scaled = Image.fromarray((ink * 255).astype("uint8")).resize((160, 40), Image.BILINEAR)
    return np.asarray(scaled, dtype=float).ravel() / 255.0


def drawn(text: str, family: str) -> np.ndarray:
    """``text`` drawn by matplotlib in ``family``, as ``shape`` has it."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 1.5), dpi=100)
    fig.text(0.02, 0.5, text, fontsize=36, fontweight="bold", family=[family], va="center")
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DejaVu Sans lacks the glyphs: that is the point
        fig.savefig(out, format="png")
    return shape(first_line(Image.open(io.BytesIO(out.getvalue()))))


def likeness(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_demos_daily_report_renders_with_the_stores_numbers_in_cjk(
    demo_dir: Path, tmp_path: Path
) -> None:
    config = load_config(ROOT / "config" / "demo.yaml")
    db = demo_dir / "yujing.db"
    store = Store(db, readonly=True)
    try:
        latest = store.posts.latest_published()
        assert latest is not None
        day = latest.astimezone(config.tz).date()  # the wave's day
        report = build_report(store, config, Period.of("daily", day, config.tz), None)
    finally:
        store.close()
    counted = recount(
        db,
        first=day,
        days=1,
        tz=config.tz,
        products={p.id: p.line for p in config.products},
        disputes={c.id: c.dispute for c in config.categories},
    )
    assert_matches(report, counted)
    assert counted["complaints"] >= 20 and report.waves, "the demo's wave is in the report"

    out = tmp_path / "out"
    result = yujing(
        *("report", "daily", "-c", "config/demo.yaml", "--date", day.isoformat()),
        *("--out", str(out)),
        env={"YUJING_DEMO_DIR": str(demo_dir)},
    )
    assert result.returncode == 0, result.stderr
    html = (out / f"daily-{day}.html").read_text(encoding="utf-8")
    pdf = out / f"daily-{day}.pdf"
    pdf_text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    overdue = counted["overdue"][DEADLINES[0]]
    said = [
        f"本期投诉{counted['complaints']}条",
        f"涉及{counted['people']}人",
        f"预警{len(counted['waves'])}起",
        f"超过15天未办结的投诉{overdue}条",
    ]
    for words in said:
        assert words in flat(html), words
        assert words in flat(pdf_text), words
    for heading in (
        "概况",
        "趋势",
        "情感",
        "按纠纷类型与险种",
        "预警处置",
        "超期投诉",
        "数据源健康",
        "新词",
    ):
        assert heading in pdf_text, heading
    claims = sum(v.get("理赔纠纷", 0) for v in counted["disputes"].values())
    assert f"合计{claims}" in flat(pdf_text), "the dispute table's total of 理赔纠纷"
    assert html.count("data:image/png;base64,") == 3, "two trend charts and the tone chart"

    # The PDF's first page as an image: its title is Chinese glyphs, not the boxes a font
    # without them draws (the same text drawn both ways, compared with what the page shows).
    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf)]
        + [str(tmp_path / "page")],
        check=True,
    )
    title = shape(first_line(Image.open(tmp_path / "page.png")))
    with_glyphs, boxes = drawn("舆情日报", cjk_family()), drawn("舆情日报", "DejaVu Sans")
    assert likeness(with_glyphs, boxes) < 0.5, "the two references differ"
    assert likeness(title, with_glyphs) > 0.75
    assert likeness(title, boxes) < 0.3


def test_the_charts_font_has_the_reports_glyphs() -> None:
    from fontTools.ttLib import TTCollection, TTFont
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=[cjk_family()]))
    fonts = TTCollection(path).fonts if path.lower().endswith(".ttc") else [TTFont(path)]
    cmap = fonts[0].getBestCmap()
    assert all(ord(c) in cmap for c in "舆情日报投诉理赔纠纷渠道")
