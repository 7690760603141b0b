"""Examples as a person reads them: one summary line, or the whole conversation."""

from __future__ import annotations

import json

from curate.store import StoredExample
from schemas import VERIFICATION_STAGES

MAX_TOOL_CHARS = 600


def summary_line(item: StoredExample) -> str:
    record = item.record
    query = item.query.replace("\n", " ")
    short = query if len(query) <= 80 else query[:77] + "..."
    return f"{item.id}\t{record['domain']}\t{record['kind']}\t{record['intent']}\t{item.status}\t{short}"


def conversation(item: StoredExample) -> str:
    record = item.record
    provenance = record["provenance"]
    lines = [
        f"example {item.id}  domain={record['domain']}  kind={record['kind']}  intent={record['intent']}",
        f"template={record['template']}  status={item.status}  tokens={item.tokens}"
        + (f"  pair={record['pair_id']}" if record.get("pair_id") else ""),
        "checks: " + ", ".join(f"{stage} {item.checks.get(stage, 'not run')}" for stage in VERIFICATION_STAGES),
        "tools offered: " + (", ".join(tool["function"]["name"] for tool in record["tools"]) or "none"),
        "provenance: " + json.dumps(provenance, ensure_ascii=False),
        "",
    ]
    for message in record["messages"]:
        role = message["role"]
        for call in message.get("tool_calls") or []:
            arguments = json.dumps(call["function"]["arguments"], ensure_ascii=False)
            lines.append(f"[assistant] calls {call['function']['name']}({arguments})")
        if role == "tool":
            content = message.get("content") or ""
            cut = (
                content if len(content) <= MAX_TOOL_CHARS else content[:MAX_TOOL_CHARS] + f" ... ({len(content)} chars)"
            )
            lines.append(f"[tool {message.get('name', '')}] {cut}")
        elif message.get("content"):
            lines.append(f"[{role}] {message['content']}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
