"""An agent-like upstream for the mock server: a scripted model that follows the request the way a
literal-minded LLM would, so that frameworks' tool loops, structured output and DSPy's prompt
format can run end to end against 127.0.0.1.

* tools offered and no tool result yet: it calls the forced (or first) tool, with arguments made
  from the tool's JSON schema: integers are the first number in the last user message, strings
  the first quoted text in it (or "Paris");
* after a tool result: a sentence quoting the result;
* ``response_format`` json_schema: a JSON object of the schema; json_object: a JSON object with
  the quoted keys the prompt names;
* a DSPy prompt: its output fields in DSPy's ``[[ ## field ## ]]`` format;
* otherwise the mock server's greeting (``ANSWER``).
"""

from __future__ import annotations

import json
import re
from typing import Any

ANSWER = "Hello from the mock server, how can I help?"


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _last_user_text(body: dict) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            return _text(message.get("content"))
    return ""


def _sample(schema: dict[str, Any], prompt: str, defs: dict[str, Any]) -> Any:
    if "$ref" in schema:
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"] or schema["anyOf"]
        return _sample(options[0], prompt, defs)
    kind = schema.get("type")
    if kind == "integer":
        number = re.search(r"-?\d+", prompt)
        return int(number.group()) if number else 42
    if kind == "number":
        number = re.search(r"-?\d+(?:\.\d+)?", prompt)
        return float(number.group()) if number else 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object" or "properties" in schema:
        return {k: _sample(v, prompt, defs) for k, v in (schema.get("properties") or {}).items()}
    quoted = re.search(r"'([^']+)'", prompt)
    return quoted.group(1) if quoted else "Paris"


def agent_tool_calls(body: dict) -> list[dict[str, str]] | None:
    messages = body.get("messages") or []
    tools = body.get("tools") or []
    if not tools or (messages and messages[-1].get("role") == "tool"):
        return None
    choice = body.get("tool_choice")
    if choice == "none":
        return None
    tool = tools[0]
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        tool = next((t for t in tools if t.get("function", {}).get("name") == wanted), tool)
    function = tool.get("function") or {}
    parameters = {"type": "object", **(function.get("parameters") or {})}
    args = _sample(parameters, _last_user_text(body), parameters.get("$defs") or {})
    name = function.get("name", "tool")
    # a deterministic id, so that two runs of a program send the same requests
    return [{"id": f"call_{len(messages)}_{name}", "name": name, "arguments": json.dumps(args, ensure_ascii=False)}]


def agent_text(body: dict) -> str:
    messages = body.get("messages") or []
    if messages and messages[-1].get("role") == "tool":
        return f"The weather is: {_text(messages[-1].get('content'))}."
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        return json.dumps(_sample(schema, _last_user_text(body), schema.get("$defs") or {}))
    if response_format.get("type") == "json_object":
        keys = re.findall(r"'(\w+)'", _last_user_text(body))
        return json.dumps({key: f"{key} of the answer" for key in keys} or {"answer": ANSWER})
    system = _text(messages[0].get("content")) if messages and messages[0].get("role") == "system" else ""
    if "[[ ## completed ## ]]" in system and "Your output fields are:" in system:
        outputs = system.split("Your output fields are:", 1)[1].split("\n\n", 1)[0]
        fields = re.findall(r"`(\w+)`", outputs)
        return "".join(f"[[ ## {f} ## ]]\n{ANSWER}\n\n" for f in fields) + "[[ ## completed ## ]]"
    return ANSWER
