"""The proxy with langchain-openai's ChatOpenAI and OpenAIEmbeddings pointed at it (base_url and a
virtual key), as LangChain users of an OpenAI-compatible gateway write it: invoke, stream, tool
calls, embeddings and a refused key, against the local mock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

if os.environ.get("LITELLM_RS_REQUIRE_FRAMEWORKS") != "1":
    pytest.importorskip("langchain_openai")

import openai
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from mockserver import MockServer
from test_proxy import running, write_config
from test_proxy_keys import admin


@pytest.fixture
def key(srv: Any) -> str:
    status, made = admin(srv, "POST", "/key/generate", {"models": ["gpt", "embedder"]})
    assert status == 200, made
    return str(made["key"])


@pytest.fixture
def srv(tmp_path: Path, mock: MockServer) -> Iterator[Any]:
    with running(write_config(tmp_path, mock)) as server:
        yield server


def chat(srv: Any, key: str, **kw: Any) -> ChatOpenAI:
    return ChatOpenAI(base_url=f"http://127.0.0.1:{srv.port}/v1", api_key=key, model="gpt", max_retries=0, **kw)


def test_invoke_and_stream(srv: Any, key: str, mock: MockServer) -> None:
    llm = chat(srv, key)
    r = llm.invoke([SystemMessage("Be brief."), HumanMessage("hi")])
    assert r.content == mock.chat_text
    assert r.usage_metadata is not None and r.usage_metadata["total_tokens"] == 29
    assert r.response_metadata["finish_reason"] == "stop"
    pieces = [c.content for c in chat(srv, key, stream_usage=True).stream("hi")]
    assert "".join(str(p) for p in pieces) == mock.chat_text and len(pieces) > 2
    sent = mock.last.body
    assert sent["model"] == "gpt-4o-mini" and sent["stream"] is True


def test_tool_calls(srv: Any, key: str, mock: MockServer) -> None:
    mock.tool_calls = [{"id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris"}'}]

    def get_weather(city: str) -> str:
        """The weather of a city."""
        return "sunny"

    r = chat(srv, key).bind_tools([get_weather]).invoke("Weather in Paris?")
    assert r.tool_calls == [{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}]
    assert mock.last.body["tools"][0]["function"]["name"] == "get_weather"


def test_embeddings(srv: Any, key: str) -> None:
    emb = OpenAIEmbeddings(
        base_url=f"http://127.0.0.1:{srv.port}/v1",
        api_key=key,
        model="embedder",
        check_embedding_ctx_length=False,
        max_retries=0,
    )
    vectors = emb.embed_documents(["one", "two"])
    assert len(vectors) == 2 and len(vectors[0]) > 0 and vectors[0] != vectors[1]
    assert emb.embed_query("one") == vectors[0]


def test_a_refused_key_raises_openais_error(srv: Any) -> None:
    with pytest.raises(openai.AuthenticationError):
        chat(srv, "sk-not-a-key").invoke("hi")
