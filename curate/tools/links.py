"""Links between routes, templates and forms, made when a tool runs (so they follow every re-mine).

- **A route's template** (`template` in its detail, a literal name such as `users/list.html`) is the
  mined HTML file of the same domain whose path is `templates/NAME` or ends with `/templates/NAME`
  (Flask's `templates/` beside the app package, Django's `APP/templates/`, Starlette's
  `Jinja2Templates(directory="templates")`). Where several match, the one whose folder shares the
  longest leading folders with the route's file wins; a tie goes to the first path.
- **A form's handler** is found from its `action`:
  - a Jinja `{{ url_for('endpoint') }}` or `{{ url_for('bp.endpoint') }}` names the handler: a route
    whose handler is `endpoint` and, for `bp.`, whose router (as written), file or folder is `bp`
    (`lookup: endpoint`);
  - a path (`/users/{{ user.id }}/edit` too: a template expression stands for one segment) matches a
    route path segment by segment, converters and parameters (`<int:id>`, `{id}`) matching any one
    segment and `<path:p>` / `{p:path}` the rest (`lookup: path`); only literal route paths are compared;
  - no action (or an empty one) submits to the page itself: the routes at the paths of the routes
    that render this template (`lookup: page`);
  - another site's URL (`https://...`, `//...`, `mailto:`) is `external`, and an action curate cannot
    read (`{% url 'name' %}`, `{{ next }}`, a relative path) is `unreadable`: neither is searched.
  The route must answer the form's method (`get` when none is given).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from curate.tools.context import ToolContext
from schemas import Fact

URL_FOR = re.compile(r"""^\{\{\s*url_for\(\s*(['"])([\w.]+)\1[^}]*\}\}$""")
TEMPLATE_SEGMENT = re.compile(r"^(\{\{.*?\}\}|\{%.*?%\})$")
PARAMETER = re.compile(r"^(<[^<>]+>|\{[^{}]+\})$")
PATH_PARAMETER = re.compile(r"^(<path:[^<>]+>|\{[^{}:]+:path\})$")
TEMPLATE_SYNTAX = ("{{", "{%", "{#")
EXTERNAL = ("http://", "https://", "//", "mailto:", "javascript:", "data:")


@dataclass(frozen=True)
class Route:
    shown: str
    fact: Fact


@dataclass
class Links:
    """The routes and pages of one domain, read once per tool call."""

    ctx: ToolContext
    routes: list[Route] = field(init=False)
    pages: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.routes = [Route(shown, item.fact) for shown, item in self.ctx.located("route")]
        self.pages = sorted(shown for shown, _ in self.ctx.located("html_document"))

    def template_path(self, route_path: str, name: str | None) -> str | None:
        """The mined page a route's template name resolves to (see the module's rule)."""
        if not name:
            return None
        wanted = "templates/" + name.lstrip("/")
        found = [page for page in self.pages if page == wanted or page.endswith("/" + wanted)]
        if not found:
            return None
        folder = posixpath.dirname(route_path).split("/")
        return max(found, key=lambda page: (_shared(folder, page.split("/")[:-1]), -found.index(page)))

    def renders(self, route: Route) -> str | None:
        return self.template_path(route.shown, route.fact.detail.get("template"))

    def handlers(self, page: str, form: Fact, framework: str | None) -> dict[str, Any]:
        """`lookup`, `target` (the endpoint or path looked for, where the action is more than that) and
        the `handlers` of one form."""
        action = (form.detail.get("action") or "").strip()
        method = (form.detail.get("method") or "get").upper()
        routes = [
            route
            for route in self.routes
            if (framework is None or route.fact.detail["framework"] == framework)
            and method in route.fact.detail["methods"]
        ]
        if not action:
            served = {route.fact.detail["route"] for route in self.routes if self.renders(route) == page}
            found = [route for route in routes if route.fact.detail["route"] in served]
            return {"lookup": "page", "handlers": _rows(found)}
        endpoint = URL_FOR.match(action)
        if endpoint is not None:
            found = [route for route in routes if _is_endpoint(route, endpoint.group(2))]
            return {"lookup": "endpoint", "target": endpoint.group(2), "handlers": _rows(found)}
        if action.lower().startswith(EXTERNAL):
            return {"lookup": "external", "handlers": []}
        path = re.split(r"[?#]", action, maxsplit=1)[0]
        segments = path.split("/")
        readable = path.startswith("/") and all(
            TEMPLATE_SEGMENT.match(segment) or not any(mark in segment for mark in TEMPLATE_SYNTAX)
            for segment in segments
        )
        if not readable:
            return {"lookup": "unreadable", "handlers": []}
        found = [
            route
            for route in routes
            if route.fact.detail.get("route_is_literal", True) and _path_matches(segments, route.fact.detail["route"])
        ]
        target = {"target": path} if path != action else {}
        return {"lookup": "path", **target, "handlers": _rows(found)}


def _shared(first: list[str], second: list[str]) -> int:
    count = 0
    for one, other in zip(first, second, strict=False):
        if one != other:
            break
        count += 1
    return count


def _is_endpoint(route: Route, endpoint: str) -> bool:
    """Flask's default endpoint is the handler's name, `blueprint.name` inside a blueprint."""
    prefix, _, name = endpoint.rpartition(".")
    if route.fact.name != name:
        return False
    if not prefix:
        return True
    stem = posixpath.splitext(posixpath.basename(route.shown))[0]
    folder = posixpath.basename(posixpath.dirname(route.shown))
    return prefix in {route.fact.detail["router"].rsplit(".", 1)[-1], stem, folder}


def _path_matches(action: list[str], route: str) -> bool:
    """Segment by segment: a route parameter or an action's template expression matches one segment."""
    pattern = route.split("/")
    for index, part in enumerate(pattern):
        if PATH_PARAMETER.match(part):
            return len(action) > index
        if index >= len(action):
            return False
        given = action[index]
        if part != given and not PARAMETER.match(part) and not TEMPLATE_SEGMENT.match(given):
            return False
        if part != given and not given:
            return False
    return len(action) == len(pattern)


def _rows(routes: list[Route]) -> list[dict[str, Any]]:
    return [
        {
            "path": route.shown,
            "line": route.fact.line,
            "name": route.fact.name,
            "methods": route.fact.detail["methods"],
            "route": route.fact.detail["route"],
        }
        for route in sorted(routes, key=lambda route: (route.shown, route.fact.line))
    ]
