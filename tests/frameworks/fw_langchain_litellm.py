"""langchain-litellm's ChatLiteLLM over the alias: invoke, stream, ainvoke and a tool call."""

import asyncio

from fwcommon import MOCK_BASE, MOCK_KEY, QUESTION, alias_on, emit, get_weather

alias_on()

from langchain_core.messages import HumanMessage, ToolMessage
from langchain_litellm import ChatLiteLLM

llm = ChatLiteLLM(model="openai/mock-chat", api_base=MOCK_BASE, api_key=MOCK_KEY, temperature=0.2)
out = {}

msg = llm.invoke("Say hello")
meta = dict(msg.response_metadata)
token_usage = meta.pop("token_usage")
out["plain"] = {"text": msg.content, "usage": msg.usage_metadata, "meta": meta, "total": token_usage.total_tokens}

chunks = list(llm.stream("Say hello"))
text = "".join(str(c.content) for c in chunks)
total = chunks[0]
for c in chunks[1:]:
    total = total + c
out["stream"] = {"text": text, "chunks": len(chunks), "usage": total.usage_metadata}

amsg = asyncio.run(llm.ainvoke("Say hello"))
out["async"] = {"text": amsg.content, "usage": amsg.usage_metadata}

with_tools = llm.bind_tools([get_weather])
first = with_tools.invoke([HumanMessage(QUESTION)])
calls = first.tool_calls
result = get_weather(**calls[0]["args"])
final = with_tools.invoke([HumanMessage(QUESTION), first, ToolMessage(result, tool_call_id=calls[0]["id"])])
out["tools"] = {"calls": calls, "final": final.content, "usage": final.usage_metadata}
emit(out)
