"""HTML mail: sanitised with nh3 to keep, and turned into readable plain text for the ticket."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "hr"}
    | {"section", "article", "header", "footer"}
)
SKIPPED = frozenset({"script", "style", "head", "title"})
URL_SCHEMES = {"http", "https", "mailto", "cid"}


def sanitize(html: str) -> str:
    """The HTML with scripts, handlers and unsafe URLs removed (nh3); `cid:` images are kept."""
    return nh3.clean(html, url_schemes=URL_SCHEMES)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skip += 1
        elif tag == "blockquote":
            self.quote += 1
            self.parts.append("\n")
        elif tag in BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self.parts.append("\n")
        elif tag in BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = re.sub(r"\s+", " ", data)
        if self.quote and text.strip():
            text = "> " + text.lstrip()
        self.parts.append(text)


def to_text(html: str) -> str:
    """Readable text from HTML: paragraphs and line breaks kept, quotes marked `> `, no markup."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [line.strip(" \t") for line in text.splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
