"""Jinja templates mined as HTML: template syntax stays out of text facts, which say they were templated."""

from __future__ import annotations

import pytest

from sources.html import extract_html
from sources.html.names import untemplated
from tests.conftest import REPO
from tests.html.test_html import facts, of

FLASK_TEMPLATES = REPO / "data" / "samples" / "python" / "flaskapp" / "bakery" / "templates"
SITE = REPO / "data" / "samples" / "html" / "site"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{% block title %}Users{% endblock %}", ("Users", True)),
        ("{{ user.name }}", ("", True)),
        ("Log out {{ session.user }}", ("Log out", True)),
        ("{# a comment #} Orders", ("Orders", True)),
        ("Hello {{ unclosed", ("Hello", True)),
        ("Plain text, {braces} and 50% off", ("Plain text, {braces} and 50% off", False)),
    ],
)
def test_untemplated(text: str, expected: tuple[str, bool]) -> None:
    assert untemplated(text) == expected


def test_headings_links_labels_and_title_keep_template_syntax_out() -> None:
    found = facts(
        """\
        <html lang="en"><head><title>{% block title %}Users{% endblock %} - Admin</title></head>
        <body><main>
        <h1>{% block heading %}All users{% endblock %}</h1>
        <h2>{{ section.title }}</h2>
        <h3>Plain</h3>
        <a href="/u/{{ user.id }}">{{ user.name }}</a>
        <a href="/help">Help</a>
        <form method="post">
          <label for="q">{{ _("Search") }} users</label><input id="q" name="q">
          <label for="n">Name</label><input id="n" name="n">
        </form>
        </main></body></html>
        """,
        "templates/users.html",
    )
    (page,) = of(found, "html_document")
    assert (page.detail["title"], page.detail["title_templated"]) == ("Users - Admin", True)
    assert [(f.detail["text"], f.detail["templated"]) for f in of(found, "heading")] == [
        ("All users", True),
        ("", True),
        ("Plain", False),
    ]
    assert [(f.detail["text"], f.detail["templated"]) for f in of(found, "link")] == [("", True), ("Help", False)]
    (form,) = of(found, "form")
    assert [(c["label"], c["templated"]) for c in form.detail["controls"]] == [("users", True), ("Name", False)]


def test_a_templated_link_text_is_not_a_missing_link_name() -> None:
    found = facts('<html lang="en"><body><main><a href="/x">{{ caption }}</a></main></body></html>', "t.html")
    assert [f.detail["rule"] for f in of(found, "a11y_finding")] == []


def test_pages_without_template_syntax_have_nothing_templated() -> None:
    for page in sorted(SITE.glob("*.html")):
        for fact in extract_html(page.name, page.read_bytes()).facts:
            flags = [fact.detail.get("templated"), fact.detail.get("title_templated")]
            flags += [control["templated"] for control in fact.detail.get("controls", [])]
            assert not any(flags), (page.name, fact.kind, fact.line)


def test_the_flask_samples_templates() -> None:
    def mined(relative: str) -> list[tuple[str, str | None, bool]]:
        data = (FLASK_TEMPLATES / relative).read_bytes()
        result = extract_html(f"bakery/templates/{relative}", data)
        return [
            (fact.kind, fact.detail.get("text", fact.detail.get("title")), fact.detail.get("templated", False))
            for fact in result.facts
            if fact.kind in {"heading", "link"}
        ]

    assert mined("base.html") == [
        ("link", "Home", False),
        ("link", "Order", False),
        ("link", "", True),
        ("heading", "The Bakery", True),
    ]
    assert mined("index.html") == [("heading", "Today's bakes", False)]


def test_a_template_of_blocks_only_is_still_a_page() -> None:
    text = '{% extends "base.html" %}\n{% block title %}Home{% endblock %}\n'
    result = extract_html("templates/home.html", text.encode())
    (page,) = [fact for fact in result.facts if fact.kind == "html_document"]
    assert page.detail["is_template"] is True
