"""DSPy over the alias, with its LiteLLM engine: an LM call, a Predict program streamed with
dspy.streamify, a native tool call, and a cached response surviving DSPy's restricted unpickler."""

import asyncio

from fwcommon import MOCK_BASE, MOCK_KEY, QUESTION, alias_on, emit, get_weather

alias_on()

import dspy

lm = dspy.LM("openai/gpt-4o-mini", api_base=MOCK_BASE, api_key=MOCK_KEY, engine="litellm", cache=False, temperature=0.3)
dspy.configure(lm=lm, track_usage=True)
out = {}

texts = lm("Say hello")
out["plain"] = {"texts": texts, "usage": dict(lm.history[-1]["usage"]), "cost": lm.history[-1].get("cost")}

predict = dspy.Predict("question -> answer")
streamed = dspy.streamify(predict, stream_listeners=[dspy.streaming.StreamListener(signature_field_name="answer")])


async def run_stream():
    pieces, final = [], None
    async for item in streamed(question="Say hello"):
        if isinstance(item, dspy.streaming.StreamResponse):
            pieces.append(item.chunk)
        elif isinstance(item, dspy.Prediction):
            final = item
    return pieces, final


pieces, final = asyncio.run(run_stream())
out["stream"] = {"pieces": pieces, "answer": final.answer, "usage": final.get_lm_usage()}


class Weather(dspy.Signature):
    """Answer with a tool call."""

    question: str = dspy.InputField()
    tools: list[dspy.Tool] = dspy.InputField()
    outputs: dspy.ToolCalls = dspy.OutputField()


with dspy.context(adapter=dspy.ChatAdapter(use_native_function_calling=True)):
    pred = dspy.Predict(Weather)(question=QUESTION, tools=[dspy.Tool(get_weather)])
calls = [{"name": c.name, "args": c.args} for c in pred.outputs.tool_calls]
out["tools"] = {"calls": calls, "result": pred.outputs.tool_calls[0].execute(functions=[dspy.Tool(get_weather)])}

# DSPy's disk cache pickles responses and reads them back with an unpickler that trusts only
# ``litellm.types.*`` (and openai.types.*): the response classes must be found there
import io
import pickle

import litellm
from dspy.clients.disk_serialization import _restricted_load

resp = litellm.completion(
    model="openai/mock-chat", api_base=MOCK_BASE, api_key=MOCK_KEY, messages=[{"role": "user", "content": "Say hello"}]
)
blob = pickle.dumps(resp)
back = _restricted_load(io.BytesIO(blob), frozenset())
out["pickle"] = {
    "module": type(resp).__module__,
    "same_class": type(back) is type(resp),
    "text": back.choices[0].message.content,
    "usage": back.usage.total_tokens,
}
emit(out)
