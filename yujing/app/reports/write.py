"""A report written to a folder: its HTML and its PDF, named by kind, day and product."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from yujing.config import Config
from yujing.store import Store

from .document import render_html
from .pdf import write_pdf
from .period import Period
from .query import Report, build_report

__all__ = ["Written", "write_report"]


@dataclass(frozen=True)
class Written:
    report: Report
    html: Path
    pdf: Path


def write_report(
    store: Store, config: Config, kind: str, day: date, product: str | None, out: Path
) -> Written:
    """``daily-2026-12-08.html`` and ``.pdf`` (``-anxin-e`` added for one product) in ``out``."""
    report = build_report(store, config, Period.of(kind, day, config.tz), product)
    stem = f"{kind}-{day.isoformat()}" + (f"-{product}" if product else "")
    out.mkdir(parents=True, exist_ok=True)
    html = render_html(report)
    html_path, pdf_path = out / f"{stem}.html", out / f"{stem}.pdf"
    html_path.write_text(html, encoding="utf-8")
    write_pdf(html, pdf_path)
    return Written(report, html_path, pdf_path)
