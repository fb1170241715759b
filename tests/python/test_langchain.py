"""litellm_rs.integrations.langchain beyond the standard suite: what reaches the upstream, and the
usage and cost LangChain users read from the messages."""

from __future__ import annotations

import os

import pytest

_REQUIRE = os.environ.get("LITELLM_RS_REQUIRE_FRAMEWORKS") == "1"
if not _REQUIRE:
    pytest.importorskip("langchain_core")

from agentmock import agent_text, agent_tool_calls
from langchain_core.messages import HumanMessage, SystemMessage
from litellm_rs.integrations.langchain import ChatLiteLLM, LiteLLMEmbeddings
from mockserver import DEFAULT_USAGE, MockServer
from pydantic import BaseModel


class Weather(BaseModel):
    """The weather in a city."""

    city: str
    temperature: int


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


@pytest.fixture
def llm(mock: MockServer) -> ChatLiteLLM:
    mock.tool_calls = agent_tool_calls
    mock.chat_text = agent_text
    return ChatLiteLLM(model="openai/gpt-4o-mini", api_base=mock.url, api_key="sk-lc", temperature=0.25, max_tokens=50)


def test_invoke_reports_usage_and_cost_and_sends_the_settings(llm: ChatLiteLLM, mock: MockServer) -> None:
    msg = llm.invoke([SystemMessage("Be brief."), HumanMessage("Say hello")], stop=["\n\n"])
    assert msg.content == mock.chat_text({})
    assert msg.usage_metadata == {
        "input_tokens": DEFAULT_USAGE["prompt_tokens"],
        "output_tokens": DEFAULT_USAGE["completion_tokens"],
        "total_tokens": DEFAULT_USAGE["total_tokens"],
        "input_token_details": {"cache_read": 4},
        "output_token_details": {"reasoning": 2},
    }
    # gpt-4o-mini: 15 cached-discounted prompt tokens + 4 cached + 10 completion tokens
    assert msg.response_metadata["response_cost"] == pytest.approx(15 * 0.15e-6 + 4 * 0.075e-6 + 10 * 0.6e-6)
    assert msg.response_metadata["finish_reason"] == "stop"
    body = mock.last.body
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}]
    assert (body["temperature"], body["max_tokens"], body["stop"]) == (0.25, 50, ["\n\n"])
    assert mock.last.header("authorization") == "Bearer sk-lc"


def test_stream_ends_with_usage_and_cost(llm: ChatLiteLLM, mock: MockServer) -> None:
    chunks = list(llm.stream("Say hello"))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.content == mock.chat_text({})
    assert total.usage_metadata is not None and total.usage_metadata["total_tokens"] == DEFAULT_USAGE["total_tokens"]
    assert chunks[-1].chunk_position == "last"
    assert chunks[-1].response_metadata["response_cost"] > 0
    assert mock.last.body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        ("any", "required"),
        ("get_weather", {"type": "function", "function": {"name": "get_weather"}}),
        ("auto", "auto"),
    ],
)
def test_tool_choice_spellings(llm: ChatLiteLLM, mock: MockServer, choice: str, sent: object) -> None:
    msg = llm.bind_tools([get_weather], tool_choice=choice).invoke("Weather in 'Lyon'?")
    assert msg.tool_calls[0]["name"] == "get_weather" and msg.tool_calls[0]["args"] == {"city": "Lyon"}
    assert mock.last.body["tool_choice"] == sent
    assert mock.last.body["tools"][0]["function"]["parameters"]["required"] == ["city"]


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
async def test_structured_output(llm: ChatLiteLLM, mock: MockServer, method: str) -> None:
    weather = await llm.with_structured_output(Weather, method=method).ainvoke("Weather in 'Oslo', 7 degrees?")
    assert weather == Weather(city="Oslo", temperature=7)
    body = mock.last.body
    if method == "json_schema":
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["name"] == "Weather"
    else:
        assert body["tool_choice"] == {"type": "function", "function": {"name": "Weather"}}


def test_embeddings_batches_and_order(mock: MockServer) -> None:
    emb = LiteLLMEmbeddings(model="openai/text-embedding-3-small", api_base=mock.url, api_key="sk-lc", chunk_size=2)
    vectors = emb.embed_documents(["a", "b", "c", "d", "e"])
    assert len(vectors) == 5 and len(vectors[0]) == mock.embedding_dim
    bodies = [r.body for r in mock.requests if r.path.endswith("/embeddings")]
    assert [b["input"] for b in bodies] == [["a", "b"], ["c", "d"], ["e"]]
    assert vectors[0] == vectors[2] == vectors[4]  # the mock's vector of the first input of each request
    assert vectors[1] == vectors[3] and vectors[0] != vectors[1]


def test_langchain_errors_are_litellm_exceptions(llm: ChatLiteLLM, mock: MockServer) -> None:
    import litellm_rs

    mock.fail(429, times=1)
    with pytest.raises(litellm_rs.RateLimitError) as info:
        llm.invoke("Say hello")
    assert info.value.status_code == 429 and "sk-lc" not in str(info.value)
