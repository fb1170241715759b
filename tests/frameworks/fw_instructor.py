"""instructor over the alias: from_litellm(completion / acompletion) with a response model
(a forced tool call), a partial stream of it, and a plain completion."""

import asyncio

from fwcommon import MOCK_BASE, MOCK_KEY, QUESTION, alias_on, emit

alias_on()

import instructor
import litellm
from pydantic import BaseModel


class Weather(BaseModel):
    city: str
    temperature: int


common = {"model": "openai/gpt-4o-mini", "api_base": MOCK_BASE, "api_key": MOCK_KEY}
client = instructor.from_litellm(litellm.completion)
out = {}

raw = client.chat.completions.create(response_model=None, messages=[{"role": "user", "content": "Say hello"}], **common)
out["plain"] = {"text": raw.choices[0].message.content, "total_tokens": raw.usage.total_tokens}

weather, completion = client.chat.completions.create_with_completion(
    response_model=Weather, messages=[{"role": "user", "content": QUESTION}], **common
)
out["tools"] = {"weather": weather.model_dump(), "total_tokens": completion.usage.total_tokens}

# (instructor streams partials asynchronously from litellm's stream object, which iterates both
# ways, so create_partial goes through the async client, with litellm as with litellm_rs)
aclient = instructor.from_litellm(litellm.acompletion)


async def run_async():
    partials = [
        p.model_dump()
        async for p in aclient.chat.completions.create_partial(
            response_model=Weather, messages=[{"role": "user", "content": QUESTION}], **common
        )
    ]
    whole = await aclient.chat.completions.create(
        response_model=Weather, messages=[{"role": "user", "content": QUESTION}], **common
    )
    return partials, whole.model_dump()


partials, whole = asyncio.run(run_async())
out["stream"] = {"partials": len(partials), "last": partials[-1]}
out["async"] = whole
emit(out)
