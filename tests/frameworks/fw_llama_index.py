"""llama-index's LiteLLM over the alias: chat, stream_chat, achat and chat_with_tools."""

import asyncio

from fwcommon import MOCK_BASE, MOCK_KEY, QUESTION, alias_on, emit, get_weather

alias_on()

from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool
from llama_index.llms.litellm import LiteLLM

llm = LiteLLM(model="openai/gpt-4o-mini", api_base=MOCK_BASE, api_key=MOCK_KEY, temperature=0.5)
hello = [ChatMessage(role="user", content="Say hello")]
out = {}


def usage_of(raw):
    usage = raw.get("usage") if isinstance(raw, dict) else getattr(raw, "usage", None)
    if usage is None:
        return None
    return usage.get("total_tokens") if isinstance(usage, dict) else usage.total_tokens


r = llm.chat(hello)
out["plain"] = {"text": r.message.content, "total_tokens": usage_of(r.raw)}

chunks = list(llm.stream_chat(hello))
out["stream"] = {"text": chunks[-1].message.content, "deltas": "".join(c.delta or "" for c in chunks), "n": len(chunks)}

ar = asyncio.run(llm.achat(hello))
out["async"] = {"text": ar.message.content}

weather_tool = FunctionTool.from_defaults(fn=get_weather)
tr = llm.chat_with_tools([weather_tool], user_msg=QUESTION)
calls = llm.get_tool_calls_from_response(tr, error_on_no_tool_call=True)
out["tools"] = {
    "name": calls[0].tool_name,
    "args": calls[0].tool_kwargs,
    "result": str(weather_tool(**calls[0].tool_kwargs)),
    "metadata_context": llm.metadata.context_window,
    "function_calling": llm.metadata.is_function_calling_model,
}
emit(out)
