"""token_counter, encode and decode: the public API, and the same counts as the real litellm."""

from __future__ import annotations

import base64
import os
import struct
import subprocess
import sys
import textwrap

import litellm_rs
import pytest

COOKBOOK = [
    {
        "role": "system",
        "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English.",
    },
    {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
    {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
    {
        "role": "system",
        "name": "example_user",
        "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Let's talk later when we're less busy about how to do better.",
    },
    {
        "role": "user",
        "content": "This late pivot means we don't have time to boil the ocean for the client deliverable.",
    },
]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "array", "items": {"type": "integer"}},
            },
            "required": ["location"],
        },
    },
}


def _png(width: int, height: int) -> str:
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", width, height) + b"\x08\x06\x00\x00\x00"
    return "data:image/png;base64," + base64.b64encode(data).decode()


def test_text_counts() -> None:
    assert litellm_rs.token_counter(model="gpt-4o", text="hello world") == 2
    assert litellm_rs.token_counter(model="gpt-4", text="hello world") == 2
    assert litellm_rs.token_counter(model="gpt-4", text="日本語のテキストも数えます。") == 13
    assert litellm_rs.token_counter(model="gpt-4o", text="日本語のテキストも数えます。") == 11
    # A list of strings is joined.
    assert litellm_rs.token_counter(model="gpt-4", text=["hello", " world"]) == 2
    assert litellm_rs.token_counter(text="") == 0


def test_messages_cookbook_and_response_tokens() -> None:
    assert litellm_rs.token_counter(model="gpt-4", messages=COOKBOOK) == 129
    assert litellm_rs.token_counter(model="gpt-3.5-turbo-0613", messages=COOKBOOK) == 129
    assert litellm_rs.token_counter(model="openai/gpt-4o", messages=COOKBOOK) == 124
    assert litellm_rs.token_counter(model="gpt-4", messages=COOKBOOK, count_response_tokens=True) == 126


def test_messages_accept_pydantic_messages() -> None:
    msg = litellm_rs.Message(role="assistant", content="hello world")
    assert litellm_rs.token_counter(model="gpt-4", messages=[msg]) == 3 + 1 + 2 + 3


def test_tools_and_tool_choice() -> None:
    user = [{"role": "user", "content": "What's the weather in Paris?"}]
    base = litellm_rs.token_counter(model="gpt-4o", messages=user)
    with_tools = litellm_rs.token_counter(model="gpt-4o", messages=user, tools=[WEATHER_TOOL])
    assert with_tools > base + 9
    named = {"type": "function", "function": {"name": "get_current_weather"}}
    assert litellm_rs.token_counter(model="gpt-4o", messages=user, tools=[WEATHER_TOOL], tool_choice="none") == (
        with_tools + 1
    )
    assert litellm_rs.token_counter(model="gpt-4o", messages=user, tools=[WEATHER_TOOL], tool_choice=named) == (
        with_tools + 7 + litellm_rs.token_counter(model="gpt-4o", text="get_current_weather")
    )
    with pytest.raises(ValueError):
        litellm_rs.token_counter(model="gpt-4o", text="hi", tools=[WEATHER_TOOL])


def test_images() -> None:
    def img(url: str, detail: str | None = None) -> list[dict]:
        image_url = {"url": url} if detail is None else {"url": url, "detail": detail}
        return [{"role": "user", "content": [{"type": "image_url", "image_url": image_url}]}]

    base = 3 + 1 + 3
    assert litellm_rs.token_counter(model="gpt-4o", messages=img("https://example.com/a.png", "low")) == base + 85
    assert litellm_rs.token_counter(model="gpt-4o", messages=img("https://example.com/a.png")) == base + 85
    assert litellm_rs.token_counter(model="gpt-4o", messages=img(_png(1024, 1024))) == base + 765
    assert litellm_rs.token_counter(
        model="gpt-4o", messages=img(_png(1024, 1024)), use_default_image_token_count=True
    ) == (base + 250)
    with pytest.raises(ValueError):
        litellm_rs.token_counter(model="gpt-4o", messages=img("https://example.com/a.png", "ultra"))


def test_errors() -> None:
    with pytest.raises(ValueError):
        litellm_rs.token_counter(model="gpt-4")
    with pytest.raises(ValueError):
        litellm_rs.token_counter(model="gpt-4", text="a", messages=[{"role": "user", "content": "a"}])
    with pytest.raises(ValueError):
        litellm_rs.token_counter(model="gpt-4", messages=[{"role": "user", "content": [{"type": "weird"}]}])
    assert (
        litellm_rs.token_counter(
            model="gpt-4", messages=[{"role": "user", "content": [{"type": "weird"}]}], default_token_count=5
        )
        == 3 + 1 + 5 + 3
    )


def test_encode_decode_round_trip() -> None:
    assert litellm_rs.encode(model="gpt-4", text="hello world") == [15339, 1917]
    assert litellm_rs.encode(model="gpt-4o", text="hello world") == [24912, 2375]
    text = "Token counting in Rust: 日本語, emoji 🎉, and <|endoftext|> as plain text."
    for model in ("gpt-4", "gpt-4o", "claude-3-5-sonnet", "unknown"):
        ids = litellm_rs.encode(model=model, text=text)
        assert all(isinstance(i, int) for i in ids)
        assert litellm_rs.decode(model=model, tokens=ids) == text
        assert len(ids) == litellm_rs.token_counter(model=model, text=text)
    with pytest.raises(ValueError):
        litellm_rs.decode(model="gpt-4", tokens=[10**9])


def test_unknown_models_fall_back_to_cl100k() -> None:
    from litellm_rs import _core

    for model in ("unknown-model", "", "anthropic/claude-sonnet-4-5", "ollama/llama3", "gemini/gemini-2.0-flash"):
        assert _core.tokenizer_encoding_name(model) == "cl100k_base"
        assert litellm_rs.encode(model=model, text="hello world") == [15339, 1917]
    for model in ("gpt-4o", "azure/gpt-4o-mini", "gpt-4.1", "gpt-5", "o3-mini", "ft:gpt-4o-mini:org::x"):
        assert _core.tokenizer_encoding_name(model) == "o200k_base"


def test_import_builds_no_bpe() -> None:
    code = textwrap.dedent(
        """
        import sys, time
        t = time.perf_counter()
        import litellm_rs
        imported = time.perf_counter() - t
        assert "litellm_rs.tokens" not in sys.modules
        t = time.perf_counter()
        litellm_rs.token_counter(model="gpt-4o", text="hello")
        first = time.perf_counter() - t
        t = time.perf_counter()
        litellm_rs.token_counter(model="gpt-4o", text="hello")
        second = time.perf_counter() - t
        print(imported, first, second)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    imported, first, second = map(float, out)
    assert imported < 1.0
    # The o200k tables are built on the first count, not at import, and only once.
    assert first > 5 * second


# ---------------------------------------------------------------------------------------------
# the same counts as the real litellm
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def litellm():
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    mod = pytest.importorskip("litellm", reason="the real litellm is not installed")
    try:
        mod.token_counter(model="gpt-4o", text="hello")
        mod.token_counter(model="gpt-4", text="hello")
    except Exception as e:  # noqa: BLE001 - its tiktoken may need to download vocabularies
        pytest.skip(f"litellm's tokenizer is unavailable offline: {e}")
    return mod


DIFF_TEXTS = [
    "hello world",
    "The quick brown fox jumps over the lazy dog.",
    "日本語のテキストも数えます。 And some emoji: 🎉🎉",
    "<|endoftext|> is counted as text",
    "The quick brown fox jumps over the lazy dog. " * 100 + "aaaa" * 700,  # chunked like litellm
]
DIFF_MODELS = ["gpt-4o", "gpt-4o-mini", "gpt-4", "gpt-3.5-turbo", "openai/gpt-4.1", "gpt-5", "o3-mini"]


@pytest.mark.parametrize("model", DIFF_MODELS)
def test_same_text_counts_as_litellm(litellm, model: str) -> None:
    for text in DIFF_TEXTS:
        assert litellm_rs.token_counter(model=model, text=text) == litellm.token_counter(model=model, text=text)


DIFF_MESSAGES = [
    COOKBOOK,
    [{"role": "user", "content": "hello world", "name": "bob"}],
    [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What is in this image?"}]},
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
                {"type": "image_url", "image_url": {"url": _png(1024, 2048)}},
                {"type": "image_url", "image_url": _png(300, 200)},
            ],
        },
    ],
    [
        {"role": "user", "content": "What's the weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_current_weather", "arguments": '{"location": "Paris, FR"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 21, "unit": "celsius"}'},
    ],
]


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4", "gpt-5-mini"])
@pytest.mark.parametrize("index", range(len(DIFF_MESSAGES)))
def test_same_message_counts_as_litellm(litellm, model: str, index: int) -> None:
    messages = DIFF_MESSAGES[index]
    for kwargs in (
        {},
        {"count_response_tokens": True},
        {"tools": [WEATHER_TOOL]},
        {"tools": [WEATHER_TOOL], "tool_choice": "none"},
        {"tools": [WEATHER_TOOL], "tool_choice": {"type": "function", "function": {"name": "get_current_weather"}}},
    ):
        ours = litellm_rs.token_counter(model=model, messages=messages, **kwargs)
        theirs = litellm.token_counter(model=model, messages=messages, **kwargs)
        assert ours == theirs, kwargs


def test_same_encoding_choice_as_litellm_across_its_model_map(litellm) -> None:
    from litellm.litellm_core_utils.token_counter import openai_tokenizer_encoding_name
    from litellm_rs import _core

    names = [m for m in litellm.model_cost if m != "sample_spec"]
    wrong = [m for m in names if _core.tokenizer_encoding_name(m) != openai_tokenizer_encoding_name(m)]
    # litellm quirks we do not copy: an Azure listing named like a non-chat OpenAI model, and a
    # fine-tune of o4-mini that litellm falls back to cl100k_base for.
    assert set(wrong) <= {"azure/container", "ft:o4-mini-2025-04-16"}, wrong[:50]
