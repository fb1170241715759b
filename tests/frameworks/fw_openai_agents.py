"""openai-agents' LitellmModel over the alias: an agent run, a streamed run and a tool-using run."""

import asyncio

from fwcommon import MOCK_BASE, MOCK_KEY, QUESTION, alias_on, emit, get_weather

alias_on()

from agents import Agent, ModelSettings, Runner, function_tool, set_tracing_disabled
from agents.extensions.models.litellm_model import LitellmModel
from openai.types.responses import ResponseTextDeltaEvent

set_tracing_disabled(True)
model = LitellmModel(model="openai/gpt-4o-mini", base_url=MOCK_BASE, api_key=MOCK_KEY)
settings = ModelSettings(temperature=0.4, include_usage=True)
plain = Agent(name="greeter", instructions="Be brief.", model=model, model_settings=settings)
out = {}

result = Runner.run_sync(plain, "Say hello")
usage = result.context_wrapper.usage
out["plain"] = {
    "text": result.final_output,
    "input_tokens": usage.input_tokens,
    "output_tokens": usage.output_tokens,
    "total_tokens": usage.total_tokens,
}


async def run_stream():
    streamed = Runner.run_streamed(plain, "Say hello")
    deltas = []
    async for event in streamed.stream_events():
        if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent):
            deltas.append(event.data.delta)
    return deltas, streamed.final_output, streamed.context_wrapper.usage.total_tokens


deltas, final, total = asyncio.run(run_stream())
out["stream"] = {"text": "".join(deltas), "deltas": len(deltas), "final": final, "total_tokens": total}

weather_agent = Agent(
    name="weather",
    instructions="Use the tool.",
    model=model,
    model_settings=settings,
    tools=[function_tool(get_weather)],
)
result = Runner.run_sync(weather_agent, QUESTION)
calls = [item.raw_item.name for item in result.new_items if item.type == "tool_call_item"]
outputs = [item.output for item in result.new_items if item.type == "tool_call_output_item"]
out["tools"] = {
    "calls": calls,
    "outputs": outputs,
    "final": result.final_output,
    "total_tokens": result.context_wrapper.usage.total_tokens,
    "requests": result.context_wrapper.usage.requests,
}
emit(out)
