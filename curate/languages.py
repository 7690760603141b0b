"""The languages of examples: those of the tools a conversation calls, else its domain's mined files.

The audit tables and the mix's stratification (`split.stratify`) read an example's language the same
way, and so does the evaluation's language row."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from curate.store import AnyExample, Store
from curate.store.examples import called_tools

UNKNOWN_LANGUAGE = "(unknown)"


def catalog_languages() -> dict[str, frozenset[str]]:
    """The languages each tool of the catalog answers about, by tool name."""
    # the catalog brings the tool executor with it: imported only when languages are named
    from curate.tools import TOOLS

    return {name: tool.languages for name, tool in TOOLS.items()}


def example_languages(
    examples: Sequence[AnyExample],
    tool_languages: Mapping[str, Collection[str]],
    domain_languages: Mapping[str, Collection[str]] | None = None,
) -> dict[str, list[str]]:
    """Each example's languages, by id: those of the tools it calls (narrowed to its domain's where a
    tool serves several), else its domain's: the languages of the domain's mined files
    (`domain_languages`) and of the one-language tools its examples in the scope call."""
    known: dict[str, set[str]] = {domain: set(found) for domain, found in (domain_languages or {}).items()}
    called: dict[str, set[str]] = {}
    for item in examples:
        tools = item.called if item.called is not None else called_tools(item.record)
        found = called[item.id] = {language for tool in tools for language in tool_languages.get(tool, ())}
        if len(found) == 1:
            known.setdefault(str(item.record["domain"]), set()).update(found)
    languages: dict[str, list[str]] = {}
    for item in examples:
        domain = known.get(str(item.record["domain"]), set())
        found = called[item.id]
        chosen = (found & domain or found) if found else domain
        languages[item.id] = sorted(chosen) or [UNKNOWN_LANGUAGE]
    return languages


def domain_languages(store: Store, examples: Sequence[AnyExample]) -> dict[str, set[str]]:
    """The languages of the files mined for these examples' domains, by domain."""
    domains = {str(item.record["domain"]) for item in examples}
    found: dict[str, set[str]] = {}
    for source in store.sources():
        if source.domain in domains:
            languages = {record.language for record in store.files(source.name, status="ok")}
            found.setdefault(source.domain, set()).update(languages)
    return found
