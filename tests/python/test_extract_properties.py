"""Property tests: generated programs of nested defs and classes; the generator knows the truth."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from sources.python import extract_python

names = st.sampled_from(["alpha", "beta", "gamma", "run", "get", "Thing", "_private", "x1"])


@dataclass
class Node:
    kind: str  # "def", "async", "class"
    name: str
    decorators: int
    blank_lines: int
    multiline_params: bool
    children: list[Node] = field(default_factory=list)


def nodes(depth: int) -> st.SearchStrategy[Node]:
    children = st.lists(st.deferred(lambda: nodes(depth - 1)), max_size=3) if depth > 0 else st.just([])
    return st.builds(
        Node,
        kind=st.sampled_from(["def", "async", "class"]),
        name=names,
        decorators=st.integers(0, 2),
        blank_lines=st.integers(0, 2),
        multiline_params=st.booleans(),
        children=children,
    )


def render(
    node: Node, indent: int, lines: list[str], scope: list[tuple[str, bool]], truth: list[tuple[str, int, int]]
) -> None:
    pad = "    " * indent
    lines.extend([""] * node.blank_lines)
    start = len(lines) + 1
    for number in range(node.decorators):
        lines.append(f"{pad}@decorator_{number}(")
        lines.append(f"{pad}    'argument',")
        lines.append(f"{pad})")
    head = {"def": "def", "async": "async def", "class": "class"}[node.kind]
    params = "(\n" + pad + "    a,\n" + pad + "    b=1,\n" + pad + ")" if node.multiline_params else "()"
    keyword_line = len(lines) + 1
    text = f"{pad}{head} {node.name}{params}:"
    lines.extend(text.split("\n"))
    qualname = ".".join(
        [part for name, is_class in scope for part in ((name,) if is_class else (name, "<locals>"))] + [node.name]
    )
    truth.append((qualname, keyword_line, start))
    lines.append(f"{pad}    '''Docstring of {node.name}.'''")
    inner = [*scope, (node.name, node.kind == "class")]
    for child in node.children:
        render(child, indent + 1, lines, inner, truth)


@settings(max_examples=60, deadline=None)
@given(st.lists(nodes(3), min_size=1, max_size=4), st.booleans())
def test_lines_and_qualnames_match_the_generated_truth(tree: list[Node], force_cst: bool) -> None:
    lines: list[str] = []
    truth: list[tuple[str, int, int]] = []
    for node in tree:
        render(node, 0, lines, [], truth)
    source = "\n".join(lines) + "\n"
    result = extract_python("gen.py", source.encode(), "gen", force_cst_positions=force_cst)
    assert result.status == "ok", result.error
    got = [
        (fact.qualname, fact.line, fact.detail["start_line"])
        for fact in result.facts
        if fact.kind in {"function", "class"}
    ]
    assert got == truth
