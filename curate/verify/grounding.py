"""Stage 4 for tool-call answers: every identifier, `path:line`, path, code block and number in an
answer comes from the tool results of its own user turn (or the calls' own arguments), and each call
asks for what the conversation gave it: the user's words, an earlier call's arguments, or (a later
step of a multi-step conversation, which must use one) an earlier result. A question back before any
call claims nothing; a turn answered without a call names nothing local. A failure names its turn.
An imported answer whose results are not in our shape is read against them as text.
An answer that says nothing was found claims it only of what the tool searched: where a result's
`coverage` has frameworks the domain uses but the tool does not read, no absence can be claimed, and
an absence claim names the frameworks searched and no other.

The grounding stage also sends direct answers to `curate.verify.locality`, which checks that they name
nothing local to the domain's mined sources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from curate.tools.coverage import TOOL_KINDS, display, in_table_order, known
from curate.verify.locality import check_direct_grounding, check_general_text
from curate.verify.stage import Context, Stage, StageFailure, at_turn, tool_results
from schemas import Example, ToolCall, ToolResult, is_error_result
from schemas.tool import Coverage

FENCE = re.compile(r"```[^\n]*\n(.*?)\n```", re.S)
SPAN = re.compile(r"``\s(.+?)\s``|`([^`\n]+)`")
LOCATION = re.compile(r"^(.+?\.[\w]+|.+/.+):(\d+)$")
NUMBER = re.compile(r"(?<![\w.])\d+(?!\w|\.\d)")
LINE_RANGE = re.compile(r"\blines (\d+)-(\d+)\b")
PATHLIKE = re.compile(r"[\w./-]+\.(?:py|pyi|html?)(?::\d+)?\b")
WORD = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*")
NUMBER_WORDS = re.compile(
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|hundred|dozen)s?\b",
    re.I,
)
EMPTY_CLAIM = re.compile(r"^(?:there (?:is|are) no|no|none|nothing)\b|\bhas no headings\b", re.I)
RESULT_SHAPE = re.compile(r'\{"tool":"[^"]*","total":\d+,"truncated":(?:true|false),"matches":\[')
NOT_COUNTS = frozenset({"line", "end_line"})


def template_words() -> frozenset[str]:
    """The words of the intents' question templates, which a question may use freely. The one place
    verification reads the intent catalog (imported here, on first use)."""
    from curate.intents import active_catalog

    return active_catalog().template_words


def identifier_like(word: str) -> bool:
    """Names a model could invent: snake_case, dotted.names, CamelCase (two capitals and a small letter)."""
    core = word.strip("_")
    return "_" in core or "." in core or (sum(c.isupper() for c in core) >= 2 and any(c.islower() for c in core))


def flattened(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from flattened(item)
    elif isinstance(value, list):
        for item in value:
            yield from flattened(item)
    else:
        yield value


@dataclass
class Evidence:
    """What a tool-call answer may say: the results' values, counts and locations, and the arguments."""

    strings: set[str] = field(default_factory=set)
    counts: set[int] = field(default_factory=set)
    locations: dict[tuple[str, int], set[str]] = field(default_factory=dict)
    ranges: set[tuple[int, int]] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    hits: set[str] = field(default_factory=set)
    totals: list[int] = field(default_factory=list)
    arguments: set[str] = field(default_factory=set)
    coverages: list[tuple[str, Coverage]] = field(default_factory=list)
    """Each result's tool and coverage, where it has one."""
    frameworks: set[str] = field(default_factory=set)
    """The display names of the frameworks the results' coverage names (`FastAPI`)."""

    def add_counts(self, match: dict[str, Any]) -> None:
        for key, value in match.items():
            if isinstance(value, list):
                self.counts.add(len(value))
                for item in value:
                    if isinstance(item, dict):
                        self.add_counts(item)
            elif isinstance(value, dict):
                self.add_counts(value)
            elif isinstance(value, int) and not isinstance(value, bool) and key not in NOT_COUNTS:
                self.counts.add(value)

    def contains(self, text: str) -> bool:
        return (
            text in self.strings
            or text in self.arguments
            or text in self.frameworks
            or any(text in value for value in self.strings)
        )


def evidence_of(calls: Iterable[ToolCall], contents: Iterable[str]) -> Evidence:
    """What answers may draw on: these calls' arguments and these results (errors left out)."""
    evidence = Evidence()
    for call in calls:
        for value in flattened(call.function.arguments):
            if isinstance(value, str):
                evidence.arguments.update({value, value.removeprefix("xpath:"), "@" + value})
    for content in contents:
        if is_error_result(content):
            continue
        try:
            result = ToolResult.model_validate_json(content)
        except ValidationError:
            raise StageFailure("grounding", "a tool turn does not hold a tool result") from None
        evidence.totals.append(result.total)
        evidence.counts.update({result.total, len(result.matches)})
        if result.coverage is not None:
            evidence.coverages.append((result.tool, result.coverage))
            evidence.frameworks.update(display(name) for name in (*result.coverage.uses, *result.coverage.reads))
        for match in result.matches:
            values = {str(value) for value in flattened(match) if isinstance(value, str | int) and value is not True}
            evidence.strings.update(value for value in flattened(match) if isinstance(value, str))
            evidence.add_counts(match)
            path, line = match.get("path"), match.get("line")
            if not isinstance(path, str) or not isinstance(line, int):
                continue
            evidence.paths.add(path)
            evidence.strings.add(f"{path}:{line}")
            evidence.locations.setdefault((path, line), set()).update(values)
            if isinstance(match.get("end_line"), int):
                evidence.ranges.add((line, match["end_line"]))
            if isinstance(match.get("source"), str):
                evidence.sources.add(match["source"])
            if isinstance(match.get("text"), str):
                evidence.hits.add(f"{path}:{line}: {match['text']}")
    return evidence


def user_turn_spans(example: Example) -> list[tuple[int, int]]:
    """Each user turn's span of `messages`: from the user turn to the message before the next one."""
    starts = [index for index, message in enumerate(example.messages) if message.role == "user"]
    return list(zip(starts, [*starts[1:], len(example.messages)], strict=True))


def check_tool_grounding(example: Example, context: Context | None = None) -> None:
    """Each user turn is checked on its own: its calls ask for what the user said (or use what an
    earlier result showed), its answer comes from its own results only; a turn with no call ends in
    a question back (claiming nothing) or a direct answer (naming nothing local)."""
    results = tool_results(example)
    offered = {tool["function"]["name"]: tool["function"]["parameters"] for tool in example.tools}
    asked: list[str] = []
    earlier = Evidence()
    check_user_words(example)
    for start, end in user_turn_spans(example):
        part = example.messages[start:end]
        asked.append(part[0].content or "")
        answer = part[-1].content or ""
        calls = [(index, call) for index, m in enumerate(part, start) for call in m.tool_calls or []]
        if not calls:
            with at_turn(end - 1):
                if end < len(example.messages) and answer.rstrip().endswith("?"):
                    check_question_back(answer)
                elif context is not None:
                    check_general_text(answer, context)
            continue
        first_turn = calls[0][0]
        for index, call in calls:
            content = results.get(call.id, "")
            with at_turn(index):
                if not is_error_result(content):
                    check_asked(call, offered, "\n".join(asked).casefold(), earlier)
                if example.shape == "multi_step" and index > first_turn:
                    check_chained(call, earlier)
            seen = evidence_of([call], [content])
            earlier = Evidence(
                strings=earlier.strings | seen.strings,
                arguments=earlier.arguments | seen.arguments,
                paths=earlier.paths | seen.paths,
            )
        evidence = evidence_of((call for _, call in calls), (results.get(call.id, "") for _, call in calls))
        with at_turn(end - 1):
            check_answer(answer, evidence)


def check_asked(call: ToolCall, offered: dict[str, Any], asked: str, earlier: Evidence) -> None:
    """Every free-text argument is in what the user asked, an earlier call's arguments or an earlier
    result: the call asks for nothing the conversation did not give it."""
    properties = offered.get(call.function.name, {}).get("properties", {})
    for name, value in call.function.arguments.items():
        schema = properties.get(name, {})
        if "enum" in schema or "enum" in schema.get("items", {}) or isinstance(value, bool | list):
            continue
        shown = str(value).removeprefix("xpath:") if isinstance(value, str) else str(value)
        if shown.casefold() in asked or str(value) in earlier.arguments | earlier.strings | earlier.paths:
            continue
        raise StageFailure("grounding", f"the question does not ask for {name}={shown!r}")


def check_chained(call: ToolCall, earlier: Evidence) -> None:
    """A later call of a multi-step conversation that names anything uses something an earlier
    result showed."""
    values = [str(value) for value in flattened(call.function.arguments) if isinstance(value, str)]
    # a later call with no text to take from anywhere (`find_fixtures {}`) is a next step in its own right
    if values and not any(value in earlier.strings or value in earlier.paths for value in values):
        raise StageFailure(
            "grounding", f"{call.function.name} uses nothing an earlier result showed: the step is not chained"
        )


def check_user_words(example: Example) -> None:
    """No user turn names an identifier the calls do not use (a question the calls do not answer)."""
    arguments = {str(value) for call in example.calls for value in flattened(call.function.arguments)}
    arguments |= {value.removeprefix("xpath:") for value in arguments}
    templates = template_words()
    for index, message in enumerate(example.messages):
        if message.role != "user":
            continue
        for word in WORD.findall(message.content or ""):
            if identifier_like(word) and word not in templates and not any(word in v for v in arguments):
                raise StageFailure("grounding", f"the question names {word!r}, which the call does not use", turn=index)


def check_question_back(text: str) -> None:
    """An assistant's question before any call (a clarification) claims nothing: no names, no
    numbers, no paths, nothing quoted."""
    bare = FENCE.sub(" ", text)
    if SPAN.search(bare) or FENCE.search(text) or PATHLIKE.search(bare) or NUMBER.search(bare):
        raise StageFailure("grounding", "a question back quotes a name, path or number no result has shown")
    for word in WORD.findall(bare):
        if identifier_like(word):
            raise StageFailure("grounding", f"a question back names {word!r}, which no result has shown")


def check_answer(answer: str, evidence: Evidence) -> None:
    """An answer says only what its turn's results and arguments hold."""
    for block in FENCE.findall(answer):
        if block not in evidence.sources and not all(line in evidence.hits for line in block.splitlines()):
            raise StageFailure("grounding", "a code block in the answer is not a source or hits the tool returned")
    prose = FENCE.sub(" ", answer)
    first_line = prose.strip().split("\n", 1)[0]
    found = sum(evidence.totals)
    if found and EMPTY_CLAIM.search(first_line):
        raise StageFailure("grounding", f"the answer says nothing was found, but the tool found {found}")
    if not found and not EMPTY_CLAIM.search(first_line):
        raise StageFailure("grounding", "the tool found nothing, but the answer does not say so")
    if not found:
        check_absence(first_line, evidence.coverages)
    for line in prose.split("\n"):
        check_line(line, evidence)
    bare = SPAN.sub(" ", prose)
    for first, last in ((int(a), int(b)) for a, b in LINE_RANGE.findall(bare)):
        if (first, last) not in evidence.ranges:
            raise StageFailure("grounding", f"lines {first}-{last} are not a range in the tool result")
    bare = LINE_RANGE.sub(" ", bare)
    if word := NUMBER_WORDS.search(bare):
        raise StageFailure("grounding", f"the answer counts in words ({word.group(0)!r}); counts must be digits")
    mentioned_counts = {int(number) for number in NUMBER.findall(PATHLIKE.sub(" ", bare))}
    for number in sorted(mentioned_counts):
        if number not in evidence.counts:
            raise StageFailure("grounding", f"the number {number} in the answer is not a count in the tool result")
    for total in evidence.totals:
        if total > 1 and total not in mentioned_counts:
            raise StageFailure("grounding", f"the answer does not say how many were found ({total})")


def check_line(line: str, evidence: Evidence) -> None:
    """Backticked values on a line that names a location must belong to that location's match."""
    spans = [first or second for first, second in SPAN.findall(line)]
    here: set[str] = set()
    for span in spans:
        location = LOCATION.match(span)
        if location and "/" not in span.split(":")[0] and "." not in span.split(":")[0]:
            location = None
        if location:
            place = (location.group(1), int(location.group(2)))
            if place not in evidence.locations:
                raise StageFailure("grounding", f"{span} is not a location in the tool result")
            here |= evidence.locations[place]
    for span in spans:
        if span in evidence.arguments or (LOCATION.match(span) and span in evidence.strings):
            continue
        if here and span not in here:
            raise StageFailure("grounding", f"`{span}` does not belong to the match at that location")
        if span not in evidence.strings:
            raise StageFailure("grounding", f"`{span}` is not in the tool result")
    bare = SPAN.sub(" ", line)
    for token in PATHLIKE.findall(bare):
        path, _, number = token.partition(":")
        if path not in evidence.paths:
            raise StageFailure("grounding", f"the answer names {path}, which the tool result does not contain")
        if number and (path, int(number)) not in evidence.locations:
            raise StageFailure("grounding", f"{token} is not a location in the tool result")
    for word in WORD.findall(PATHLIKE.sub(" ", bare)):
        if identifier_like(word) and not evidence.contains(word):
            raise StageFailure("grounding", f"the answer names {word!r}, which the tool result does not contain")


def check_absence(claim: str, coverages: list[tuple[str, Coverage]], *, named: bool = True) -> None:
    """An absence claim over results with coverage: nothing unread, and (with `named`) it names some
    framework the tool read and none it did not."""
    for tool, found in coverages:
        if found.unread:
            unread = ", ".join(display(name) for name in found.unread)
            raise StageFailure(
                "grounding",
                f"the answer says there are none, but the domain uses {unread}, which {tool} does not read: "
                "the absence is not known",
            )
        if not named:
            continue
        mentioned = {item.name for item in known(TOOL_KINDS.get(tool, "")) if mentions(claim, item.display)}
        beyond = sorted(mentioned - set(found.reads))
        if beyond:
            raise StageFailure(
                "grounding",
                f"the answer names {display(beyond[0])} in saying there are none, but {tool} does not read it",
            )
        if found.reads and not mentioned:
            searched = ", ".join(display(name) for name in in_table_order(found.reads))
            raise StageFailure(
                "grounding", f"the answer says there are none without naming what {tool} searched ({searched})"
            )


def mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def check_imported_grounding(example: Example, context: Context) -> None:
    """An imported tool-call answer. Results in our own shape (an export imported back) get the full
    check; results of any other shape are read as text: every backticked value and identifier-like
    word must occur in one, every number too."""
    contents = list(tool_results(example).values())
    if all(RESULT_SHAPE.match(content) for content in contents):
        check_tool_grounding(example, context)
        return
    arguments = {str(v) for call in example.calls for v in flattened(call.function.arguments)}
    numbers = {int(n) for content in contents for n in NUMBER.findall(content)}
    first_line = FENCE.sub(" ", example.answer).strip().split("\n", 1)[0]
    if EMPTY_CLAIM.search(first_line):
        check_absence(first_line, [found for content in contents if (found := coverage_in(content))], named=False)

    def present(text: str) -> bool:
        return any(text in content for content in contents) or text in arguments

    prose = FENCE.sub(" ", example.answer)
    for block in FENCE.findall(example.answer):
        for line in block.splitlines():
            if line.strip() and not present(line.strip()):
                raise StageFailure("grounding", f"code in the answer is not in the tool result: {line.strip()[:80]!r}")
    for first, second in SPAN.findall(prose):
        if not present(first or second):
            raise StageFailure("grounding", f"`{first or second}` is not in the tool result")
    bare = SPAN.sub(" ", prose)
    for word in WORD.findall(bare):
        if identifier_like(word) and not present(word):
            raise StageFailure("grounding", f"the answer names {word!r}, which the tool result does not contain")
    for number in NUMBER.findall(bare):
        if int(number) not in numbers and number not in arguments:
            raise StageFailure("grounding", f"the number {number} in the answer is not in the tool result")


def coverage_in(content: str) -> tuple[str, Coverage] | None:
    """The tool and coverage of a result of another shape that carries one in ours (else None)."""
    try:
        data = json.loads(content)
        return str(data.get("tool", "the tool")), Coverage.model_validate(data["coverage"])
    except (ValueError, TypeError, KeyError, AttributeError, ValidationError):  # no coverage of ours there
        return None


def check_grounding(example: Example, context: Context) -> None:
    if example.kind == "direct":
        check_direct_grounding(example, context)
    elif example.provenance.imported is not None:
        check_imported_grounding(example, context)
    else:
        check_tool_grounding(example, context)


GROUNDING = Stage("grounding", check_grounding)
