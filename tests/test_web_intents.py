"""The web intents: routes that return HTML, the template a route renders, and the handling of forms,
synthesized and verified on the shipped samples and an inline app, every question they can ask."""

from __future__ import annotations

from pathlib import Path

import pytest

from curate.intents import INTENTS
from curate.mine import mine
from curate.store import Store
from curate.synth import run_synth
from tests.conftest import REPO, SAMPLE, write_tree
from tests.tools.test_links import WEBAPP

FLASK_SAMPLE = REPO / "data" / "samples" / "python" / "flaskapp"


def asked(store: Store, domain: str, intents: list[str], n: int) -> dict[str, str]:
    """Every question synthesized (all verified, none rejected) with its answer."""
    synthesis, _ = run_synth(store, domain, n, run_id="web", tool_ratio=1.0, seed=1, intents=intents)
    assert synthesis.rejections == []
    return {item.query: item.record["messages"][-1]["content"] for item in synthesis.examples}


def test_the_catalog_names_a_framework_only_where_the_call_filters_on_it() -> None:
    for name in ("html_routes", "form_handling"):
        for template in INTENTS[name].templates:
            assert not any(word in template for word in ("FastAPI", "Flask", "Django")), template


def test_html_routes_and_their_templates_on_the_shop_sample(store: Store) -> None:
    mine(store, SAMPLE, domain="shop", jobs=1)
    answers = asked(store, "shop", ["html_routes", "route_templates"], 8)
    about = (
        "- `GET` `/about` handled by `about` at `src/shop/routes/pages.py:14`, returns HTML without a named template"
    )
    catalog = "- `GET` `/catalog` handled by `catalog_page` at `src/shop/routes/pages.py:19`, renders `catalog.jinja`"
    assert answers["Find all FastAPI routes that return HTML"] == (
        f"There are 2 `fastapi` routes that return HTML in this project:\n\n{about}\n{catalog}"
    )
    assert answers["Which routes return HTML?"] == f"2 routes that return HTML in this project:\n{about}\n{catalog}"
    assert answers["Which template does /catalog render?"] == (
        "There is 1 route at `/catalog`:\n\n- `GET` `/catalog` (`catalog_page` at `src/shop/routes/pages.py:19`) "
        "renders `catalog.jinja`"
    )
    assert len(answers) == 8


def test_form_handling_on_an_app_with_templates(store: Store, tmp_path: Path) -> None:
    forms = WEBAPP["app/templates/signup.html"].splitlines(keepends=True)
    small = {**WEBAPP, "app/templates/signup.html": "".join(forms[:6] + forms[-1:])}  # 5 forms fit 4096 tokens
    mine(store, write_tree(tmp_path / "web", small), domain="web", jobs=1)
    answers = asked(store, "web", ["form_handling"], 7)
    assert len(answers) == 7 and "forms under app/templates: who handles them?" in answers
    shown = answers["Show me the form handling in this FastAPI app"]
    lines = shown.splitlines()
    assert "5 forms in this project, with their `fastapi` handlers:" in lines[0]
    assert (
        "- `app/templates/signup.html:3`: `post` to `{{ url_for('subscribe') }}`, handled by `subscribe` "
        "(`POST` `/subscribe`) in `app/main.py`"
    ) in lines
    assert "- `app/templates/signup.html:5`: `post` to `/nowhere`; no route found handles it" in lines
    assert "- `app/templates/signup.html:6`: `get` to `https://example.org/x`, which is another site" in lines
    assert "- `app/templates/signup.html:2`: `post` to its own page, handled by `signup` (`POST` `/signup`) in " in (
        shown.replace("`app/main.py`", "")
    )


def test_no_form_or_route_question_is_asked_of_code_without_routes(store: Store, tmp_path: Path) -> None:
    files = {"lib.py": "def f():\n    return 1\n", "page.html": "<form action='/x'><input name=q></form>\n"}
    mine(store, write_tree(tmp_path / "plain", files), domain="plain", jobs=1)
    with pytest.raises(Exception, match="cannot give"):
        run_synth(store, "plain", 1, run_id="web", tool_ratio=1.0, seed=1, intents=["form_handling", "html_routes"])


def test_form_handling_on_the_flask_sample(store: Store) -> None:
    mine(store, FLASK_SAMPLE, domain="bakery", jobs=1)
    answers = asked(store, "bakery", ["form_handling", "html_routes"], 8)
    shown = answers["Show me the form handling in this Flask app"]
    assert (
        "- `bakery/templates/auth/login.html:4`: `post` to `{{ url_for('auth.login') }}`, handled by `login` "
        "(`GET`, `POST` `/auth/login`) in `bakery/auth.py`"
    ) in shown.splitlines()
    assert (
        "- `bakery/templates/contact.html:4`: `post` to `{{ url_for('send_message') }}`; no route found handles it"
        in (shown.splitlines())
    )
    assert "Find all Flask routes that return HTML" in answers
