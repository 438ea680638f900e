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
from .wave_document import render_wave_html
from .wave_query import WaveReport, build_wave_report

__all__ = ["Written", "WrittenWave", "write_built", "write_report", "write_wave_report"]


@dataclass(frozen=True)
class Written:
    report: Report
    html: Path
    pdf: Path


def write_report(
    store: Store, config: Config, kind: str, day: date, product: str | None, out: Path
) -> Written:
    """``daily-2026-12-08.html`` and ``.pdf`` (``-anxin-e`` added for one product) in ``out``."""
    return write_built(build_report(store, config, Period.of(kind, day, config.tz), product), out)


def write_built(report: Report, out: Path) -> Written:
    """A report already built, written as ``write_report`` names it."""
    period = report.period
    stem = f"{period.kind}-{period.last.isoformat()}"
    stem += f"-{report.product}" if report.product else ""
    html_path, pdf_path = _write(render_html(report), out, stem)
    return Written(report, html_path, pdf_path)


@dataclass(frozen=True)
class WrittenWave:
    report: WaveReport
    html: Path
    pdf: Path


def write_wave_report(store: Store, config: Config, alert_ref: str, out: Path) -> WrittenWave:
    """``wave-<product>-<start>.html`` and ``.pdf`` in ``out``: the 专报 of one wave."""
    report = build_wave_report(store, config, alert_ref)
    start = report.alert.started_at.astimezone(config.tz).strftime("%Y%m%d-%H%M")
    key = report.alert.product + (f"-{report.alert.category}" if report.alert.category else "")
    html_path, pdf_path = _write(render_wave_html(report, config.tz), out, f"wave-{key}-{start}")
    return WrittenWave(report, html_path, pdf_path)


def _write(html: str, out: Path, stem: str) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    html_path, pdf_path = out / f"{stem}.html", out / f"{stem}.pdf"
    html_path.write_text(html, encoding="utf-8")
    write_pdf(html, pdf_path)
    return html_path, pdf_path
