"""embedding() and text_completion() against the mock server."""

from __future__ import annotations

import base64
import struct

import litellm_rs
import pytest
from mockserver import embedding_vector
from support import KEY

EMB_MODEL = "openai/text-embedding-3-small"


def _embed(mock, **kw):
    kw.setdefault("model", EMB_MODEL)
    return litellm_rs.embedding(api_base=mock.url, api_key=KEY, **kw)


def _text(mock, **kw):
    kw.setdefault("api_base", mock.url)
    kw.setdefault("api_key", KEY)
    return litellm_rs.text_completion(**kw)


# -- embedding ----------------------------------------------------------------------------------


def test_embedding_list_input(mock):
    r = _embed(mock, input=["hello world", "good bye now"])

    req = mock.last
    assert req.path == "/v1/embeddings"
    assert req.body["model"] == "text-embedding-3-small"
    assert req.body["input"] == ["hello world", "good bye now"]
    assert req.header("authorization") == f"Bearer {KEY}"

    assert isinstance(r, litellm_rs.EmbeddingResponse)
    assert r.object == "list"
    assert r.model == "text-embedding-3-small"
    assert len(r.data) == 2
    assert [d["index"] for d in r.data] == [0, 1]
    assert r.data[0]["embedding"] == pytest.approx(embedding_vector(0, 8))
    assert r["data"][1]["embedding"] == pytest.approx(embedding_vector(1, 8))
    assert r.data[0]["object"] == "embedding"
    assert r.usage.prompt_tokens == 5
    assert r.usage.total_tokens == 5
    assert r["usage"]["total_tokens"] == 5
    assert r._hidden_params["custom_llm_provider"] == "openai"


def test_embedding_str_input(mock):
    r = _embed(mock, input="just one string")

    assert mock.last.body["input"] in ("just one string", ["just one string"])
    assert len(r.data) == 1
    assert r.data[0]["embedding"] == pytest.approx(embedding_vector(0, 8))


def test_embedding_dimensions_and_float_format_are_forwarded(mock):
    r = _embed(mock, input=["a b c"], dimensions=4, encoding_format="float", user="user-7")

    body = mock.last.body
    assert body["dimensions"] == 4
    assert body["encoding_format"] == "float"
    assert body["user"] == "user-7"
    assert len(r.data[0]["embedding"]) == 4
    assert r.data[0]["embedding"] == pytest.approx(embedding_vector(0, 4))


def test_embedding_base64_format(mock):
    r = _embed(mock, input=["a b c"], dimensions=3, encoding_format="base64")

    assert mock.last.body["encoding_format"] == "base64"
    emb = r.data[0]["embedding"]
    if isinstance(emb, str):  # litellm hands back what the provider sent when base64 was asked for
        emb = list(struct.unpack("<3f", base64.b64decode(emb)))
    assert emb == pytest.approx(embedding_vector(0, 3), abs=1e-6)


def test_embedding_bare_model_and_bad_status(mock):
    r = litellm_rs.embedding(model="text-embedding-3-large", input=["x"], api_base=mock.url, api_key=KEY)
    assert mock.last.body["model"] == "text-embedding-3-large"
    assert len(r.data) == 1

    mock.fail(401)
    with pytest.raises(litellm_rs.AuthenticationError):
        litellm_rs.embedding(model=EMB_MODEL, input=["x"], api_base=mock.url, api_key=KEY, num_retries=0)


def test_embedding_response_model_dump(mock):
    r = _embed(mock, input=["hello"])
    d = r.model_dump()
    assert d["data"][0]["embedding"] == pytest.approx(embedding_vector(0, 8))
    assert d["usage"]["prompt_tokens"] == 1


# -- text_completion ----------------------------------------------------------------------------


def test_text_completion_openai_uses_the_completions_endpoint(mock):
    r = _text(mock, model="text-completion-openai/gpt-3.5-turbo-instruct", prompt="Say this is a test", max_tokens=7)

    req = mock.last
    assert req.path == "/v1/completions"
    assert req.body["model"] == "gpt-3.5-turbo-instruct"
    assert req.body["prompt"] in ("Say this is a test", ["Say this is a test"])
    assert req.body["max_tokens"] == 7
    assert "messages" not in req.body

    assert isinstance(r, litellm_rs.TextCompletionResponse)
    assert r.object == "text_completion"
    assert r.choices[0].text == mock.completion_text
    assert r["choices"][0]["text"] == mock.completion_text
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.total_tokens == 12


def test_text_completion_bare_instruct_model(mock):
    r = _text(mock, model="gpt-3.5-turbo-instruct", prompt="Say this is a test")
    assert mock.last.path == "/v1/completions"
    assert r.choices[0].text == mock.completion_text


def test_text_completion_stream(mock):
    chunks = list(_text(mock, model="text-completion-openai/gpt-3.5-turbo-instruct", prompt="Say this", stream=True))

    assert mock.last.body["stream"] is True
    text = "".join(c.choices[0].text or "" for c in chunks if c.choices)
    assert text == mock.completion_text
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]


def test_text_completion_against_a_chat_only_provider_is_bridged(mock):
    mock.flavor = "groq"
    r = _text(mock, model="groq/llama-3.3-70b-versatile", prompt="Say hi", max_tokens=20, api_key="gsk-test")

    req = mock.last
    assert req.path == "/v1/chat/completions"
    assert req.body["model"] == "llama-3.3-70b-versatile"
    assert req.body["messages"] == [{"role": "user", "content": "Say hi"}]
    assert req.body["max_tokens"] == 20
    assert "prompt" not in req.body

    assert isinstance(r, litellm_rs.TextCompletionResponse)
    assert r.object == "text_completion"
    assert r.choices[0].text == mock.chat_text
    assert r["choices"][0]["text"] == mock.chat_text
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.total_tokens == 29


def test_text_completion_with_an_openai_chat_model_is_bridged(mock):
    # litellm routes text_completion(model="openai/<known chat model>") through chat completions;
    # only models it does not know as chat models go to /completions (e.g. a vLLM model).
    r = _text(mock, model="openai/gpt-4o-mini", prompt="Say hi")

    assert mock.last.path == "/v1/chat/completions"
    assert mock.last.body["messages"] == [{"role": "user", "content": "Say hi"}]
    assert r.choices[0].text == mock.chat_text


def test_text_completion_with_an_unknown_openai_model_uses_completions(mock):
    r = _text(mock, model="openai/my-vllm-base-model", prompt="Once upon a time")

    assert mock.last.path == "/v1/completions"
    assert mock.last.body["model"] == "my-vllm-base-model"
    assert r.choices[0].text == mock.completion_text


def test_bridged_text_completion_stream(mock):
    chunks = list(_text(mock, model="groq/llama-3.3-70b-versatile", prompt="Say hi", stream=True, api_key="gsk-test"))

    assert mock.last.path == "/v1/chat/completions"
    assert "".join(c.choices[0].text or "" for c in chunks if c.choices) == mock.chat_text


async def test_atext_completion(mock):
    r = await litellm_rs.atext_completion(
        model="text-completion-openai/gpt-3.5-turbo-instruct",
        prompt="Say this is a test",
        api_base=mock.url,
        api_key=KEY,
    )
    assert mock.last.path == "/v1/completions"
    assert r.choices[0].text == mock.completion_text


def test_text_completion_prompt_list(mock):
    r = _text(mock, model="text-completion-openai/gpt-3.5-turbo-instruct", prompt=["first", "second"])

    assert mock.last.body["prompt"] == ["first", "second"]
    assert [c.index for c in r.choices] == [0, 1]
    assert all(c.text == mock.completion_text for c in r.choices)
