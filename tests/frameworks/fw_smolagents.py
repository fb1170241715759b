"""smolagents' LiteLLMModel over the alias: generate, generate_stream and a tool call."""

import json

from fwcommon import MOCK_BASE, MOCK_KEY, QUESTION, alias_on, emit

alias_on()

from smolagents import LiteLLMModel, tool


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city.

    Args:
        city: The city to get the weather for.
    """
    return f"Sunny, 22 degrees in {city}"


model = LiteLLMModel(model_id="openai/gpt-4o-mini", api_base=MOCK_BASE, api_key=MOCK_KEY, temperature=0.1)
messages = [{"role": "user", "content": [{"type": "text", "text": "Say hello"}]}]
out = {}

msg = model.generate(messages)
out["plain"] = {
    "text": msg.content,
    "input_tokens": msg.token_usage.input_tokens,
    "output_tokens": msg.token_usage.output_tokens,
}

deltas = list(model.generate_stream(messages))
usage = [d.token_usage for d in deltas if d.token_usage is not None]
out["stream"] = {
    "text": "".join(d.content or "" for d in deltas),
    "deltas": len(deltas),
    "input_tokens": sum(u.input_tokens for u in usage),
    "output_tokens": sum(u.output_tokens for u in usage),
}

question = [{"role": "user", "content": [{"type": "text", "text": QUESTION}]}]
called = model.generate(question, tools_to_call_from=[get_weather])
call = called.tool_calls[0]
arguments = call.function.arguments
arguments = json.loads(arguments) if isinstance(arguments, str) else arguments
out["tools"] = {"name": call.function.name, "arguments": arguments, "result": get_weather(**arguments)}
emit(out)
