"""Article bodies: Markdown to HTML with raw HTML turned off, then sanitised (nh3) on an allow-list."""
from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # commonmark with tables and strikethrough; "html": False makes any typed tag plain text
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"])


def render(text: str) -> Markup:
    """Safe HTML for a Markdown body: no raw HTML, no scripts, links only to http(s) and mail."""
    html = _parser().render(text or "")
    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                      link_rel="noopener noreferrer nofollow", filter_style_properties={"text-align"})
    return Markup(clean)  # nh3 has cleaned it on the allow-list above  # nosec B704
