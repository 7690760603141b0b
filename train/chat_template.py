"""A chat template that renders tools the way Qwen2.5 does, for the tiny local model and the export
round trip: tools listed in the system turn inside `<tools>`, each call as
`<tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>`, each result inside `<tool_response>` in
a user turn. mlx-lm reads this layout with its `json_tools` parser (it recognises the template by
`<tool_call>` and `tool_call.name`).

`COMPACT_TEMPLATE` is the same layout with each tool on one line (name, parameters with their
allowed values, the description's first sentence) instead of its JSON schema: a third of the
tokens per row, for a model small enough that the prompt, not the answer, is most of the cost of
a training step. Calls and results are written exactly as in `CHAT_TEMPLATE`."""

from __future__ import annotations

DEFAULT_SYSTEM = "You are a helpful code assistant."

_SYSTEM = (
    "{%- set system = messages[0].content if messages and messages[0].role == 'system' else '" + DEFAULT_SYSTEM + "' %}"
    "{{- '<|im_start|>system\\n' + system }}"
)
_QWEN_TOOLS = (
    "{%- if tools %}"
    "{{- '\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n"
    "You are provided with function signatures within <tools></tools> XML tags:\\n<tools>' }}"
    "{%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}"
    "{{- '\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments "
    'within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{"name": <function-name>, '
    '"arguments": <args-json-object>}\\n</tool_call>\' }}'
    "{%- endif %}"
)
_COMPACT_TOOLS = (
    "{%- if tools %}"
    "{{- '\\n\\nCall a tool when the question needs the codebase:\\n<tools>' }}"
    "{%- for tool in tools %}"
    "{%- set tool = tool.function if tool.function is defined else tool %}"
    "{%- set properties = tool.parameters.properties if tool.parameters is defined"
    " and tool.parameters.properties is defined else {} %}"
    "{{- '\\n' + tool.name + '(' }}"
    "{%- for name, spec in properties | dictsort %}"
    "{%- set values = spec['enum'] if spec['enum'] is defined else (spec['items']['enum']"
    " if spec['items'] is defined and spec['items']['enum'] is defined else none) %}"
    "{{- (', ' if not loop.first else '') + name }}"
    "{%- if values %}{{- '=' + values | join('|') }}{%- endif %}"
    "{%- endfor %}"
    "{{- ') ' + (tool.description or '').split('. ')[0] }}"
    "{%- endfor %}"
    "{{- '\\n</tools>' }}"
    "{%- endif %}"
)
_MESSAGES = (
    "{{- '<|im_end|>\\n' }}"
    "{%- for message in messages %}"
    "{%- if message.role == 'system' and loop.first %}"
    "{%- elif message.role == 'user' or message.role == 'system'"
    " or (message.role == 'assistant' and not message.tool_calls) %}"
    "{{- '<|im_start|>' + message.role + '\\n' + (message.content or '') + '<|im_end|>\\n' }}"
    "{%- elif message.role == 'assistant' %}"
    "{{- '<|im_start|>assistant' }}"
    "{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}"
    "{%- for tool_call in message.tool_calls %}"
    "{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}"
    '{{- \'\\n<tool_call>\\n{"name": "\' + tool_call.name + \'", "arguments": \''
    " + (tool_call.arguments | tojson) + '}\\n</tool_call>' }}"
    "{%- endfor %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- elif message.role == 'tool' %}"
    "{%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}"
    "{{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}"
    "{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
CHAT_TEMPLATE = _SYSTEM + _QWEN_TOOLS + _MESSAGES
COMPACT_TEMPLATE = _SYSTEM + _COMPACT_TOOLS + _MESSAGES
TEMPLATES = {"qwen": CHAT_TEMPLATE, "compact": COMPACT_TEMPLATE}

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
TOOL_TOKENS = ("<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<tools>", "</tools>")
EOS = "<|im_end|>"
PAD = "<|endoftext|>"


def render(
    messages: list[dict[str, object]], tools: list[dict[str, object]] | None = None, *, template: str = CHAT_TEMPLATE
) -> str:
    """The template applied as transformers applies it (its `tojson` keeps non-ASCII and `<>&`)."""
    import json

    from jinja2.sandbox import ImmutableSandboxedEnvironment

    environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    environment.filters["tojson"] = lambda value: json.dumps(value, ensure_ascii=False)
    return environment.from_string(template).render(messages=messages, tools=tools, add_generation_prompt=False)
