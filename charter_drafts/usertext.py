"""What members write (comments, release notes): a small Markdown subset, rendered to safe HTML.

markdown-it-py parses with raw HTML off and only paragraphs, line breaks, emphasis, inline code,
links, lists and quotes enabled (markdown-it's own link validation already drops
``javascript:``, ``vbscript:``, ``file:`` and most ``data:`` links); nh3 (the Ammonia sanitiser)
then keeps only those tags, only ``href`` on links, and only ``http``, ``https`` and ``mailto``
links, which open with ``rel="nofollow noopener noreferrer"``. Whatever got past the parser, no
script, event handler or other scheme survives the second step.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_PARSER = MarkdownIt("zero", {"html": False, "breaks": True}).enable(
    ["emphasis", "link", "autolink", "list", "blockquote", "newline", "backticks", "escape"]
)
_TAGS = {"p", "br", "em", "strong", "code", "a", "ul", "ol", "li", "blockquote"}
_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
_SCHEMES = {"http", "https", "mailto"}


def render_markdown(source: str) -> str:
    """The safe HTML of ``source`` (a Markdown subset)."""
    return nh3.clean(
        _PARSER.render(source),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    ).strip()
