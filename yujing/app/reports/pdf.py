"""A report's HTML as PDF, laid out by WeasyPrint (imported only here).

WeasyPrint typesets the very HTML the web page and the e-mail carry (tables that break across
pages, the charts, page numbers from the CSS ``@page`` rule), with its text as text: searchable,
copyable, its fonts embedded as subsets. The subsets are cut by HarfBuzz (Debian's
``libharfbuzz-subset0``) in a fraction of a second; without it WeasyPrint falls back to fontTools,
which takes some ten seconds per weight of a CFF font like Noto Sans CJK. It finds fonts through fontconfig, as the charts do
through matplotlib: a machine without a CJK font gets a PDF of empty boxes, so the charts' check
(``charts.cjk_family``) runs first.
"""

from __future__ import annotations

from pathlib import Path

from .charts import cjk_family

__all__ = ["write_pdf"]


def write_pdf(html: str, path: Path) -> None:
    cjk_family()  # raises NoCjkFont, saying what to install
    from weasyprint import HTML

    HTML(string=html, base_url=str(path.parent)).write_pdf(path)
