"""The HTML extractor: lines, labels, accessibility rules, encodings and hostile pages."""

from __future__ import annotations

import textwrap
import time
from typing import Any

import pytest
from lxml import etree

from schemas import Fact
from sources.html import compile_selector, extract_html, parse_html
from sources.html.decode import decode_html


def facts(html: str | bytes, path: str = "page.html") -> list[Fact]:
    data = textwrap.dedent(html).encode() if isinstance(html, str) else html
    result = extract_html(path, data)
    assert result.status == "ok", (result.reason, result.error)
    return result.facts


def of(found: list[Fact], kind: str) -> list[Fact]:
    return [fact for fact in found if fact.kind == kind]


def findings(html: str, path: str = "page.html") -> list[tuple[str, int]]:
    return [(f.detail["rule"], f.line) for f in of(facts(html, path), "a11y_finding")]


PAGE = """<!doctype html>
<html lang="en"><head><title>T</title></head>
<body><main>{body}</main></body></html>
"""


def page(body: str) -> str:
    return PAGE.format(body=body)


def test_lines_are_the_line_of_the_start_tag_not_of_its_end() -> None:
    found = facts(
        """\
        <!doctype html>
        <html lang="en"><body><main>
        <img
          src="a.png"
          alt="A">
        <img src="b.png" alt="B"><img
           src="c.png" alt="">
        </main></body></html>
        """
    )
    assert [(f.detail["src"], f.line, f.detail["alt_state"]) for f in of(found, "image")] == [
        ("a.png", 3, "present"),
        ("b.png", 6, "present"),
        ("c.png", 6, "empty"),
    ]


def test_lines_past_libxml2s_65535_limit() -> None:
    filler = "<p>x</p>\n" * 70_000
    html = (
        f"<html lang='en'><body><main>\n{filler}<form\n action='/late'>\n"
        "<input name=q aria-label=Q></form></main></body></html>"
    )
    (form,) = of(facts(html), "form")
    assert form.line == 70_002 and form.detail["controls"][0]["line"] == 70_004


def test_comments_scripts_and_attribute_values_do_not_fool_the_line_scanner() -> None:
    found = facts(
        """\
        <html lang="en"><body><main>
        <!-- <img src="commented.png"> -->
        <script>if (a <img) { document.write('<img src="x">') }</script>
        <div title="<img src=fake>"></div>
        <img src="real.png" alt="real">
        </main></body></html>
        """
    )
    assert [(f.detail["src"], f.line) for f in of(found, "image")] == [("real.png", 5)]


def test_the_four_ways_to_label_a_control() -> None:
    (form,) = of(
        facts(
            page(
                """
                <form action="/s" method="POST">
                  <label for="email">Email</label> <input id="email" type="email" name="email" required>
                  <label>Name <input name="name" minlength="2" maxlength="40"></label>
                  <input name="q" aria-label="Search">
                  <span id="zip-label">Post code</span><input name="zip" aria-labelledby="zip-label" pattern="[0-9]{5}">
                  <input name="age" type="number" min="18" max="120">
                  <select name="size"><option>S</option></select>
                </form>
                """
            )
        ),
        "form",
    )
    assert form.detail["method"] == "post" and form.detail["action"] == "/s"
    controls = [(c["name"], c["type"], c["label"], c["label_source"]) for c in form.detail["controls"]]
    assert controls == [
        ("email", "email", "Email", "label-for"),
        ("name", "text", "Name", "label-wrap"),
        ("q", "text", "Search", "aria-label"),
        ("zip", "text", "Post code", "aria-labelledby"),
        ("age", "number", None, None),
        ("size", None, None, None),
    ]
    email, name, _, zip_code, age, _ = form.detail["controls"]
    assert email["required"] and (name["minlength"], name["maxlength"]) == ("2", "40")
    assert zip_code["pattern"] == "[0-9]{5}" and (age["min"], age["max"]) == ("18", "120")


RULE_CASES: dict[str, tuple[str, str]] = {
    "image-alt": ('<img src="a.png" alt="A chart">', '<img src="a.png">'),
    "label": ('<label>Name <input name="n"></label>', '<input name="n">'),
    "button-name": ("<button>Save</button>", "<button><span></span></button>"),
    "link-name": ('<a href="/">Home</a>', '<a href="/"><img src="i.png" alt=""></a>'),
    "table-headers": (
        "<table><tr><th>a</th></tr><tr><td>1</td></tr></table>",
        "<table><tr><td>a</td></tr><tr><td>1</td></tr></table>",
    ),
    "heading-order": ("<h1>a</h1><h2>b</h2>", "<h1>a</h1><h3>b</h3>"),
    "duplicate-id": ('<p id="a">1</p><p id="b">2</p>', '<p id="a">1</p><p id="a">2</p>'),
}


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_each_rule_passes_and_fails(rule: str) -> None:
    passing, failing = RULE_CASES[rule]
    assert [r for r, _ in findings(page(passing))] == []
    assert [r for r, _ in findings(page(failing)) if r == rule] == [rule]


def test_page_level_rules() -> None:
    assert findings(page("<p>ok</p>")) == []
    assert findings("<html><body><p>no lang, no main</p></body></html>") == [
        ("html-has-lang", 1),
        ("landmark-one-main", 1),
    ]
    assert findings("<div><p>{{ body }}</p></div>", path="templates/part.html") == []


def test_landmarks_and_their_names() -> None:
    found = facts(
        """\
        <html lang="en"><body>
        <header>Site</header>
        <nav aria-label="Main"><a href="/">Home</a></nav>
        <div role="navigation" aria-labelledby="crumbs"><span id="crumbs">Breadcrumbs</span></div>
        <main><article><header>Post</header><section aria-label="Comments"></section><section></section></article>
        <figure><img src="x.png" alt="x"><figcaption>A figure</figcaption></figure></main>
        <form role="search"><input aria-label="q"></form>
        <aside>More</aside><footer>(c)</footer>
        </body></html>
        """
    )
    assert [(f.detail["tag"], f.detail["role"], f.detail["label"], f.line) for f in of(found, "landmark")] == [
        ("header", "banner", None, 2),
        ("nav", "navigation", "Main", 3),
        ("div", "navigation", "Breadcrumbs", 4),
        ("main", "main", None, 5),
        ("article", "article", None, 5),
        ("header", "sectionheader", None, 5),
        ("section", "region", "Comments", 5),
        ("section", "generic", None, 5),
        ("figure", "figure", "A figure", 6),
        ("form", "search", None, 7),
        ("aside", "complementary", None, 8),
        ("footer", "contentinfo", None, 8),
    ]


def test_tables() -> None:
    (proper, bare) = of(
        facts(
            page(
                """
                <table><caption>Sales</caption>
                  <thead><tr><th scope="col">Month</th><th scope="col">Total</th></tr></thead>
                  <tbody><tr><th scope="row">Jan</th><td>3</td></tr><tr><td colspan="2">n/a</td></tr></tbody>
                  <tfoot><tr><td>Sum</td><td>3</td></tr></tfoot>
                </table>
                <table><tr><td>1</td><td>2</td><td>3</td></tr><tr><td>4</td></tr>
                  <tr><td><table><tr><td>nested</td></tr></table></td></tr></table>
                """
            )
        ),
        "table",
    )[:2]
    assert proper.detail["caption"] == "Sales" and proper.detail["rows"] == 4 and proper.detail["columns"] == 2
    assert (proper.detail["has_thead"], proper.detail["has_tbody"], proper.detail["has_tfoot"]) == (True, True, True)
    assert [(h["text"], h["scope"]) for h in proper.detail["headers"]] == [
        ("Month", "col"),
        ("Total", "col"),
        ("Jan", "row"),
    ]
    assert (bare.detail["rows"], bare.detail["columns"], bare.detail["has_tbody"]) == (3, 3, False)


def test_headings_outline_with_skips() -> None:
    found = of(facts(page("<h1>Top</h1><h2>A</h2><h4>Deep</h4><div role='heading' aria-level='2'>B</div>")), "heading")
    assert [(f.detail["level"], f.detail["text"], f.detail["skipped_from"]) for f in found] == [
        (1, "Top", None),
        (2, "A", None),
        (4, "Deep", 2),
        (2, "B", None),
    ]


def test_a_nested_form_is_dropped_as_browsers_do() -> None:
    found = facts(
        page(
            '<form action="/outer"><input name="a" aria-label="a">'
            '<form action="/inner"><input name="b" aria-label="b"></form></form>'
        )
    )
    (form,) = of(found, "form")
    assert form.detail["action"] == "/outer" and [c["name"] for c in form.detail["controls"]] == ["a", "b"]


def test_svg_title_is_not_the_page_title() -> None:
    found = facts("<html lang='en'><body><main><svg><title>Icon</title></svg></main></body></html>")
    assert found[0].kind == "html_document" and found[0].detail["title"] is None


@pytest.mark.parametrize(
    ("data", "encoding", "warning"),
    [
        ("<p>Café</p>".encode(), "utf-8", None),
        (b"\xef\xbb\xbf<p>Caf\xc3\xa9</p>", "utf-8", None),
        (b'<meta charset="iso-8859-1"><p>Caf\xe9</p>', "cp1252", None),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1251"><p>\xcf\xf0\xe8</p>',
            "cp1251",
            None,
        ),
        (b"<p>Caf\xe9</p>", "cp1252", "no charset declared; not UTF-8, read as windows-1252"),
        (
            b'<meta charset="klingon"><p>Caf\xe9</p>',
            "cp1252",
            "declared charset 'klingon' is unknown; not UTF-8, read as windows-1252",
        ),
    ],
)
def test_encodings(data: bytes, encoding: str, warning: str | None) -> None:
    decoded = decode_html(data)
    assert (decoded.encoding, decoded.warning) == (encoding, warning)
    assert "Caf" in decoded.text or "При" in decoded.text
    document = facts(data)[0]
    assert (document.detail["encoding"], document.detail["encoding_warning"]) == (encoding, warning)


def test_legacy_charset_text_reaches_the_facts() -> None:
    found = facts(
        b'<html lang="es"><head><meta charset="iso-8859-1"></head><body><main><h1>\xd1and\xfa</h1></main></body></html>'
    )
    assert [f.detail["text"] for f in of(found, "heading")] == ["Ñandú"]


def test_xhtml_with_an_xml_declaration() -> None:
    found = facts(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><body><main><h1>X</h1></main></body></html>'
    )
    assert [(f.detail["text"], f.line) for f in of(found, "heading")] == [("X", 2)]


def test_broken_markup_is_recovered() -> None:
    found = facts('<html lang="en"><body><main><h1>Title<p>unclosed <b>bold<img src="a.png" alt="a"></div></table>')
    assert [f.detail["src"] for f in of(found, "image")] == ["a.png"]
    assert [f.detail["text"] for f in of(found, "heading")] == ["Title"]  # libxml2 closes <h1> at <p>


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (b"", "ok", None),
        (b"\x00\x01\x02<html>", "failed", "binary"),
        (b"<p>" + b"x" * 40_000_000 + b"</p>", "failed", "too_large"),  # a 40 MB page: over the 32 MB HTML limit
    ],
)
def test_bad_pages_are_recorded(data: bytes, status: str, reason: str | None) -> None:
    result = extract_html("bad.html", data)
    assert (result.status, result.reason) == (status, reason)


def test_hostile_pages_finish_quickly_with_bounded_work() -> None:
    deep = "<div>" * 100_000 + "<img src=deep.png>" + "</div>" * 100_000
    laughs = (
        '<!DOCTYPE html [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
        "<html><body><p>&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;</p></body></html>"
    )
    for html in (deep, laughs):
        result = extract_html("hostile.html", html.encode())
        assert result.status == "ok"
        assert result.text is not None and len(result.text) == len(html)
    document = parse_html(laughs)
    assert len("".join(str(part) for part in document.root.itertext())) < 10_000


def test_templates_keep_their_tags_in_attributes_and_out_of_text() -> None:
    found = facts(
        "<nav>{% for item in menu %}<a href='{{ item.url }}'>{{ item.title }}</a>{% endfor %}</nav>",
        path="templates/base.html",
    )
    assert found[0].detail["is_template"] is True
    assert [(f.detail["href"], f.detail["text"], f.detail["templated"]) for f in of(found, "link")] == [
        ("{{ item.url }}", "", True)
    ]


def detail_of(found: list[Fact], kind: str) -> list[dict[str, Any]]:
    return [f.detail for f in of(found, kind)]


def test_every_fact_of_the_samples_is_valid_as_built() -> None:
    """The extractor builds rows without validating them (hot path): each must equal its validated form."""
    from pathlib import Path

    from sources.extraction import to_rows

    site = Path(__file__).resolve().parents[2] / "data" / "samples" / "html" / "site"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 5
    for page_path in pages:
        result = extract_html(page_path.name, page_path.read_bytes())
        assert result.status == "ok" and len(result.rows) > 5
        assert to_rows(result.facts) == result.rows, page_path
    empty = extract_html("empty.html", b"\n \n")
    assert empty.status == "ok" and len(empty.rows) == 1
    assert to_rows(empty.facts) == empty.rows


def test_paths_are_the_ones_libxml2_writes() -> None:
    """Paths are built from the parent's (libxml2's `getpath` is quadratic on long lists); each must
    be the one `getpath` gives, on long flat lists, mixed siblings, and nesting past the cache."""
    from pathlib import Path

    from sources.html.document import MAX_CACHED_DEPTH

    site = Path(__file__).resolve().parents[2] / "data" / "samples" / "html" / "site"
    texts = [decode_html(path.read_bytes()).text for path in sorted(site.rglob("*.html"))]
    texts.append("<ul>" + "<li><a href='#'>x</a></li>" * 300 + "</ul><p>a<br>b<span>c</span><br><!-- d --><br></p>")
    texts.append("<div>" * (MAX_CACHED_DEPTH + 20) + "<a href='#'>deep</a><a href='#'>twin</a>")
    for text in texts:
        document = parse_html(text)
        tree = document.root.getroottree()
        elements = list(document.root.iter(etree.Element))
        assert len(elements) > 5
        for element in reversed(elements):  # deepest first: the cache is filled from the bottom too
            assert document.xpath_of(element) == tree.getpath(element)


def test_a_charset_that_is_no_text_encoding_reads_as_undeclared() -> None:
    for label in ("base64", "rot13", "hex", "zlib", "utf-7"):
        decoded = decode_html(f'<meta charset="{label}"><p>caf\u00e9 +ACI-'.encode())
        assert (decoded.encoding, decoded.warning) == ("utf-8", f"declared charset {label!r} is unknown")
        assert decoded.text.endswith("caf\u00e9 +ACI-")
    assert decode_html(b'<meta charset="shift_jis"><p>x').encoding == "shift_jis"


@pytest.mark.parametrize(
    ("selector", "bound"),
    [
        ("nav a", 30),
        ("div.note > p", 1),
        ("a[href^='http']", 1),
        ("li:nth-child(2n+1)", 200),
        ("xpath://a[. = 'Home']", 30),
        ("xpath://*[count(following::node())]", 100_000),
        ("xpath://*[count(following::node()[count(preceding::node())])]", 10**10),
    ],
)
def test_a_query_costs_its_page_times_what_each_predicate_level_visits(selector: str, bound: int) -> None:
    """On a page of 100,000 nodes, 30 deep, 200 children at most: nodes x the largest factor of each level."""
    from sources.html.query import MAX_COST, query_cost

    cost = query_cost(compile_selector(selector).path, 100_000, 30, 200)
    assert cost <= 100_000 * bound
    assert (cost > MAX_COST) == (bound > 10_000)


@pytest.mark.parametrize(
    "pair",
    [
        '<label for="f{i}">Field {i}</label><input id="f{i}">',
        '<label for="f">Field {i}</label><input id="f">',  # one id: every input had every label read again
        '<input aria-labelledby="all">',  # every input names the same long element
    ],
)
def test_twenty_thousand_labelled_controls_take_linear_time(pair: str) -> None:
    body = "".join(pair.format(i=i) for i in range(20_000))
    names = '<p id="all">' + "word " * 20_000 + "</p>"
    page = f'<html lang="en"><body><main>{names}<form action="/a">{body}</form></main></body></html>'.encode()
    started = time.monotonic()
    result = extract_html("labels.html", page)
    assert result.status == "ok"
    assert time.monotonic() - started < 60  # quadratic, the shared id took hours
