"""HTML to plain text, the one way every collector does it: inscriptis, over lxml trees.

inscriptis renders HTML as a browser would lay it out (blocks, ``<br>``, ``<pre>`` kept as
written, entities, scripts and ``<link>``/``<meta>`` dropped, tag case irrelevant since lxml
reads it). Two changes to its defaults: list items are plain lines (no bullets), and table cells
are laid out as running text, a row per line with its cells separated by spaces. inscriptis would otherwise draw tables as a grid,
and forums that put the author's box and the post side by side in one row would come out
with their lines interleaved.

``normalise`` then squeezes spaces (nbsp and U+3000 included) and drops blank lines: the text
analysis treats a line break as a sentence end, and blank lines carry nothing.
"""

from __future__ import annotations

import copy
import re

from inscriptis import Inscriptis
from inscriptis.css_profiles import RELAXED_CSS_PROFILE
from inscriptis.html_properties import Display
from inscriptis.model.config import ParserConfig
from inscriptis.model.html_element import HtmlElement
from inscriptis.model.tag import CustomHtmlTagHandlerMapping
from lxml import etree, html

__all__ = ["element_text", "html_to_text", "normalise"]

_SPACES = re.compile(r"[^\S\n]+")  # any whitespace but newlines, including U+3000 and nbsp

_CSS = {
    **RELAXED_CSS_PROFILE,
    # Elements with no text for people.
    **{tag: HtmlElement(display=Display.none) for tag in ("noscript", "template", "iframe")},
    # A row is a line; a cell is a run of text with a space either side (never glued to the next).
    **{tag: HtmlElement(display=Display.block) for tag in ("table", "tr", "caption")},
    **{
        tag: HtmlElement(
            display=Display.inline, prefix=" ", suffix=" ", limit_whitespace_affixes=True
        )
        for tag in ("td", "th")
    },
    # RELAXED indents divs and lists; indentation is noise to text analysis.
    **{tag: HtmlElement(display=Display.block) for tag in ("div", "ul", "ol")},
}
# No table or list handlers: the CSS above lays tables out instead of inscriptis' grid
# renderer, and list items are plain lines, without the bullets ("* ") it would draw.
_PLAIN = CustomHtmlTagHandlerMapping(
    start_tag_mapping=dict.fromkeys(("table", "tr", "td", "th", "ul", "ol", "li")),  # type: ignore[arg-type]
    end_tag_mapping=dict.fromkeys(("table", "td", "th", "ul", "ol")),  # type: ignore[arg-type]
)
_CONFIG = ParserConfig(css=_CSS, custom_html_tag_handler_mapping=_PLAIN)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment or page (a feed entry's body, a title with entities)."""
    if not markup or not markup.strip():
        return ""
    if "<" not in markup and "&" not in markup:
        return normalise(markup)  # plain text already: no parser needed
    try:
        tree = html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return normalise(markup)
    return element_text(tree)


def element_text(element: etree._Element) -> str:
    """Plain text inside ``element`` (a node a selector found), without the text after it."""
    if element.tail:
        # inscriptis writes a node's tail too; that text belongs to the parent, not to this node.
        element = copy.deepcopy(element)
        element.tail = None
    return normalise(Inscriptis(element, _CONFIG).get_text())


def normalise(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
