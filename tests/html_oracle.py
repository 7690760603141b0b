"""An independent oracle for the HTML miner, built on nothing but CPython's `html.parser`.

It shares no code with `curate`, `sources` or `schemas`, and does not use lxml, so that the miner
(lxml/libxml2, CSS selectors over stored documents) can be checked against a second reading of the
same folder. For every `.html` / `.htm` file it lists the start tags of `form`, `input`, `table`,
`nav` and `img`, and separately the `img` start tags that have no `alt` attribute at all.

Where `html.parser` (as of CPython 3.11) reads a page differently from a browser, the oracle follows
the browser (the HTML standard's tokenizer and tree builder). libxml2 2.14 tokenizes alike; it keeps
nested forms (the miner marks them dropped), and differs on the rest of `MINER_DIVERGENCES` in
tests/test_html_oracle.py (lone carriage returns, `<script/>`, forms in a `<template>`):

- `title`, `textarea`, `xmp`, `iframe`, `noembed`, `noframes` hold text, not tags (`html.parser`
  only knows `script` and `style`), and so does everything after `<plaintext>`;
- such text ends at `</name` followed by whitespace, `/` or `>`, whatever comes after the name; in a
  script, not while a `<!--` escape holds a `<script` (the script data double-escaped state);
- `<!-->` and `<!--->` are whole comments, `--!>` also ends one, and an unterminated comment runs to
  the end of the page; `<!...>`, `<![CDATA[...` and `<?...>` end at the first `>`;
- a `<form>` start tag met while a form is open is dropped, as browsers drop it; any `</form>`
  closes the open form; forms inside a `<template>` neither count as open nor are dropped;
- `/>` on a start tag is ignored (it neither closes a `form` nor ends a `script`);
- a carriage return, alone or before a line feed, is one line break.

Not modelled (rare, and read alike by the oracle and libxml2): foreign content (`<svg>`, `<math>`),
`<image>` read as `<img>`, and whatever a browser moves or drops when building the tree.

Lines are 1-based: the line of the `<` that begins the start tag. Paths are relative to the root,
`/`-separated; links are never followed.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

TAGS = frozenset({"form", "input", "table", "nav", "img"})
TEXT_ONLY = frozenset({"script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes", "plaintext"})
EXTENSIONS = (".html", ".htm")
SNIFF_BYTES = 4096
BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
COMMENT_END = re.compile(r"--!?>")
SCRIPT_MARKERS = re.compile(r"<!--|-->|</?script[\t\n\f />]", re.IGNORECASE)
END_TAG_OPEN = re.compile("</")
META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)

Row = tuple[str, int, str]
"""(path, line, tag)"""


@dataclass
class Truth:
    files: set[str] = field(default_factory=set)
    """Every `.html` / `.htm` file seen."""
    elements: set[Row] = field(default_factory=set)
    """Start tags of `form`, `input`, `table`, `nav` and `img`."""
    images_without_alt: set[Row] = field(default_factory=set)

    def restricted(self, paths: Iterable[str]) -> Truth:
        keep = set(paths)
        return Truth(
            files=self.files & keep,
            elements={row for row in self.elements if row[0] in keep},
            images_without_alt={row for row in self.images_without_alt if row[0] in keep},
        )

    def of_tag(self, tag: str) -> set[Row]:
        return {row for row in self.elements if row[2] == tag}


# -- reading the folder ---------------------------------------------------------------------------
def html_files(root: str) -> Iterator[str]:
    """Relative `/`-separated paths of the HTML files under root, links never followed."""
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(folder, d)))
        relative = os.path.relpath(folder, root)
        for name in sorted(names):
            if name.lower().endswith(EXTENSIONS) and not os.path.islink(os.path.join(folder, name)):
                path = name if relative == "." else f"{relative}/{name}"
                yield path.replace(os.sep, "/")


def declared_encoding(data: bytes) -> str:
    """The page's encoding: a byte-order mark, else a `<meta>` charset in the first 4 KB, else UTF-8."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding
    match = META_CHARSET.search(data[:SNIFF_BYTES])
    if match is not None:
        try:
            name = codecs.lookup(match.group(1).decode("ascii")).name
        except LookupError:
            return "utf-8"
        # a page whose <meta> reads as ASCII is not UTF-16 or UTF-32 (the HTML standard says UTF-8)
        return "utf-8" if name.startswith(("utf-16", "utf-32")) else name
    return "utf-8"


def decode(data: bytes) -> str:
    encoding = declared_encoding(data)
    for bom, bom_encoding in BOMS:
        if encoding == bom_encoding and data.startswith(bom):
            data = data[len(bom) :]
    return data.decode(encoding, errors="replace")


# -- the page -------------------------------------------------------------------------------------
def raw_text_end(text: str, tag: str, start: int) -> int:
    """Where the text of a raw-text element opened at `start` ends: the `</` of its end tag, or len(text).

    `</tag` followed by whitespace, `/` or `>` ends it; in a script, not while a `<!--` escape holds a
    `<script` (the standard's script data escaped and double-escaped states); `plaintext` never ends.
    """
    if tag == "plaintext":
        return len(text)
    if tag != "script":
        found = re.compile(rf"</{tag}[\t\n\f />]", re.IGNORECASE).search(text, start)
        return len(text) if found is None else found.start()
    state = "data"
    position = start
    while (found := SCRIPT_MARKERS.search(text, position)) is not None:
        marker = found.group().lower()
        position = found.end()
        if marker == "<!--":
            if state == "data":
                state = "escaped"
                position -= 2  # `<!-->` and `<!--->` escape nothing
        elif marker == "-->":
            state = "data"
        elif marker.startswith("</"):
            if state != "double_escaped":
                return found.start()
            state = "escaped"
        elif state == "escaped":
            state = "double_escaped"
    return len(text)


class RawTextEnd:
    """Stands in for `HTMLParser.interesting` inside a raw-text element: the only `</` it finds is
    the one `raw_text_end` chose. `end` counts from the start of the page; html.parser searches in
    what is left of it, which is always a tail of the page since the page is fed whole."""

    def __init__(self, page_length: int, end: int) -> None:
        self.page_length = page_length
        self.end = end

    def search(self, rest: str, position: int) -> re.Match[str] | None:
        end = self.end - (self.page_length - len(rest))
        return END_TAG_OPEN.match(rest, end) if position <= end else None


class StartTags(HTMLParser):
    """Start tags as a browser tokenizes them. Fed a whole page at once: `read_page` does that."""

    def __init__(self, path: str, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.page = page
        self.line_starts = [0, *(match.end() for match in re.finditer("\n", page))]
        self.elements: set[Row] = set()
        self.images_without_alt: set[Row] = set()
        self.form_open = False
        self.templates = 0
        self.raw_text: RawTextEnd | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in TEXT_ONLY:
            self.set_cdata_mode(tag)
        if tag == "template":
            self.templates += 1
        elif tag == "form" and not self.templates:
            if self.form_open:
                return
            self.form_open = True
        if tag not in TAGS:
            return
        line, _ = self.getpos()
        row = (self.path, line, tag)
        self.elements.add(row)
        if tag == "img" and all(name != "alt" for name, _ in attrs):
            self.images_without_alt.add(row)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self.templates = max(self.templates - 1, 0)
        elif tag == "form" and not self.templates:
            self.form_open = False

    # -- where html.parser (3.11) reads differently from the HTML standard ------------------------
    def set_cdata_mode(self, elem: str, **options: object) -> None:
        """Called by html.parser after a `<script>` / `<style>` start tag, and by handle_starttag."""
        line, column = self.getpos()
        start = self.line_starts[line - 1] + column + len(self.get_starttag_text() or "")
        self.cdata_elem = elem.lower()
        self.raw_text = RawTextEnd(len(self.page), raw_text_end(self.page, self.cdata_elem, start))
        self.interesting = self.raw_text  # type: ignore[assignment]  # only .search() is used

    def parse_endtag(self, i: int) -> int:
        """The end tag `raw_text_end` chose closes its element whatever follows its name."""
        if self.raw_text is not None and self.raw_text.end == len(self.page) - len(self.rawdata) + i:
            close = self.rawdata.find(">", i)
            self.handle_endtag(self.cdata_elem or "")
            self.clear_cdata_mode()
            self.raw_text = None
            return len(self.rawdata) if close < 0 else close + 1
        return super().parse_endtag(i)

    def parse_comment(self, i: int, report: bool = True) -> int:
        """`<!-->` and `<!--->` are whole comments; others end at `-->` or `--!>`, or with the page."""
        for empty in ("<!-->", "<!--->"):
            if self.rawdata.startswith(empty, i):
                return i + len(empty)
        found = COMMENT_END.search(self.rawdata, i + 4)
        return len(self.rawdata) if found is None else found.end()

    def parse_html_declaration(self, i: int) -> int:
        """`<!DOCTYPE ...>`, `<![CDATA[...` and other `<!...` end at the first `>` (or with the page)."""
        close = self.rawdata.find(">", i + 2)
        return len(self.rawdata) if close < 0 else close + 1

    parse_pi = parse_html_declaration  # `<?...>` is a bogus comment, ended the same way


def read_page(path: str, data: bytes) -> StartTags:
    page = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    parser = StartTags(path, page)
    parser.feed(page)
    parser.close()
    return parser


def truth(root: str) -> Truth:
    """What the oracle finds in every HTML file under root."""
    found = Truth()
    for path in html_files(root):
        found.files.add(path)
        with open(os.path.join(root, path), "rb") as handle:
            page = read_page(path, handle.read())
        found.elements |= page.elements
        found.images_without_alt |= page.images_without_alt
    return found
