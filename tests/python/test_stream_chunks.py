"""Streamed chat chunks are the same objects whichever way they are made: the engine builds the
usual ones directly, pydantic validates the others; both give ModelResponseStream instances that
compare, dump, pickle and accept new attributes alike."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import litellm_rs
import pytest
from litellm_rs import streaming
from litellm_rs.types.utils import ChatCompletionDeltaToolCall, Delta, ModelResponseStream, StreamingChoices, Usage
from support import chat, model_state


def _both(mock, monkeypatch, **kw: Any) -> tuple[list[Any], list[Any]]:
    """The chunks of one answer streamed twice: as the engine hands them out, and all validated
    by pydantic (the direct construction turned off)."""
    built = list(chat(mock, stream=True, **kw))
    with monkeypatch.context() as m:
        m.setattr(streaming, "_chunk_spec", lambda: None)
        validated = list(chat(mock, stream=True, **kw))
    assert len(built) == len(validated)
    for a, b in zip(built, validated):
        # the mock's ids and timestamps differ between the two requests
        b.__dict__["id"] = a.id
        b.__dict__["created"] = a.created
        if "x_groq" in (b.model_extra or {}):
            b.model_extra["x_groq"] = a.model_extra["x_groq"]
    return built, validated


@pytest.mark.parametrize("flavor", ["openai", "groq"])
@pytest.mark.parametrize("tools", [False, True])
def test_chunks_equal_validated_ones(mock, monkeypatch, flavor, tools):
    mock.flavor = flavor  # groq: a nested x_groq extra on the first and last chunks
    if tools:
        mock.tool_calls = [{"id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris"}'}]
    built, validated = _both(mock, monkeypatch, stream_options={"include_usage": True})
    for a, b in zip(built, validated):
        assert type(a) is ModelResponseStream
        assert model_state(a) == model_state(b)
        assert a == b
        assert repr(a) == repr(b) and str(a) == str(b)
        assert a.model_dump() == b.model_dump()
        assert a.model_dump_json() == b.model_dump_json()
        assert a.json() == b.json()
        assert a.model_dump(exclude_unset=False) == b.model_dump(exclude_unset=False)
        assert a.model_fields_set == b.model_fields_set
        assert a.model_extra == b.model_extra
        assert list(dict(a)) == list(dict(b))
        for ca, cb in zip(a.choices, b.choices):
            assert type(ca) is StreamingChoices and type(ca.delta) is Delta
            assert ca.model_fields_set == cb.model_fields_set
            assert ca.delta.model_fields_set == cb.delta.model_fields_set
            assert ca.delta.model_extra == cb.delta.model_extra
    if tools:
        calls = [c.choices[0].delta.tool_calls for c in built if c.choices and c.choices[0].delta.tool_calls]
        assert calls and all(type(tc) is ChatCompletionDeltaToolCall for cs in calls for tc in cs)
    assert type(built[-1].usage) is Usage
    assert built[-1].usage.total_tokens == validated[-1].usage.total_tokens


@pytest.mark.parametrize("flavor", ["openai", "groq"])
def test_text_with_escapes_is_built_by_the_engine_and_equal(mock, monkeypatch, flavor):
    """Strings with escapes (the mock writes non-ASCII as \\u escapes, as json.dumps does) and
    nested extras are read from the chunk's layout alike."""
    mock.flavor = flavor
    pieces = ["line one\n", ' say "hi"', " café ☕", " C:\\path\t", " 😀", " \u2028end", ""]
    mock.stream_pieces = pieces
    validated_raw: list[Any] = []
    validate = ModelResponseStream.model_validate_json

    def spy(raw: Any, *args: Any, **kwargs: Any) -> Any:
        validated_raw.append(raw)
        return validate(raw, *args, **kwargs)

    monkeypatch.setattr(ModelResponseStream, "model_validate_json", spy)
    built, validated = _both(mock, monkeypatch)
    # only the run with the direct construction turned off went through pydantic, but for Groq's
    # last chunk (floats in its x_groq usage: pydantic's float parsing is the reference)
    by_engine = len(validated_raw) - len(validated)
    assert by_engine == (1 if flavor == "groq" else 0)
    assert all(b'"queue_time"' in raw for raw in validated_raw[:by_engine])
    assert "".join(c.choices[0].delta.content or "" for c in built if c.choices) == "".join(pieces)
    for a, b in zip(built, validated):
        assert model_state(a) == model_state(b)
        assert a.model_dump_json() == b.model_dump_json()


def test_built_chunks_behave_like_models(mock, monkeypatch):
    built, validated = _both(mock, monkeypatch)
    chunk = built[1]
    assert chunk["choices"][0]["delta"]["content"] == chunk.choices[0].delta.content
    assert "choices" in chunk and chunk.get("missing", 1) == 1
    assert chunk._hidden_params == {} and chunk._response_headers is None
    for c in (chunk, validated[1]):
        c._hidden_params["x"] = 1  # each chunk has its own hidden params
    assert built[2]._hidden_params == {}

    again = pickle.loads(pickle.dumps(chunk))
    assert model_state(again) == model_state(chunk)
    assert model_state(copy.deepcopy(chunk)) == model_state(chunk)
    assert model_state(chunk.model_copy()) == model_state(chunk)
    assert ModelResponseStream.model_validate(chunk.model_dump()).model_dump() == chunk.model_dump()

    # new attributes go to the extras, as on validated chunks
    for c in (chunk, validated[1]):
        c.custom = "x"
        c.choices[0].delta.custom = 1
        c.choices[0].finish_reason = "length"
    assert model_state(chunk) == model_state(validated[1])
    assert chunk.model_dump()["custom"] == "x"
    assert chunk.choices[0].delta.model_dump()["custom"] == 1


def test_async_stream_chunks_are_built_alike(mock, monkeypatch):
    import asyncio

    async def run(off: bool) -> list[Any]:
        with monkeypatch.context() as m:
            if off:
                m.setattr(streaming, "_chunk_spec", lambda: None)
            stream = await litellm_rs.acompletion(
                model="openai/gpt-4o-mini",
                messages=[{"role": "user", "content": "hi"}],
                api_base=mock.url,
                api_key="sk-test",
                stream=True,
            )
            return [c async for c in stream]

    built = asyncio.run(run(False))
    validated = asyncio.run(run(True))
    assert len(built) == len(validated) > 2
    for a, b in zip(built, validated):
        b.__dict__["id"] = a.id
        b.__dict__["created"] = a.created
        assert model_state(a) == model_state(b)


def test_a_chunk_subclass_is_validated(mock):
    class MyChunk(ModelResponseStream):
        pass

    stream = chat(mock, stream=True)
    wrapper = litellm_rs.CustomStreamWrapper(stream.completion_stream, chunk_type=MyChunk)
    stream.completion_stream = None  # the new wrapper owns the engine stream now
    chunks = list(wrapper)
    assert chunks and all(type(c) is MyChunk for c in chunks)


def test_the_chunk_classes_stay_buildable(mock):
    """The engine refuses classes with fields it does not know (and everything is then validated,
    more slowly): a field added to ModelResponseStream, StreamingChoices or Delta must be taught
    to src/python/stream/chunks.rs."""
    stream = chat(mock, stream=True)
    # 3: built, pydantic's slots found and stored directly, instances allocated without
    # object.__new__'s attribute table (2: made by tp_new; 1: slots set the generic way)
    assert stream.completion_stream.build_chunks(streaming._chunk_spec()) == 3
    assert list(stream)


def _chunk(choices: list[Any], **top: Any) -> dict[str, Any]:
    return {"object": "chat.completion.chunk", **top, "choices": choices}


def _choice(index: int, finish: Any = None, **delta: Any) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}


# Consecutive chunks whose values change in every way the engine's per-stream memo of the last
# values must notice: ids, timestamps, models, fingerprints present / null / absent, a second
# choice, roles, finish reasons, extras that come and go, strings with and without escapes.
CHANGING = [
    _chunk([_choice(0, role="assistant", content="")], id="c1", created=1, model="m1", system_fingerprint="fp1"),
    _chunk([_choice(0, content="a")], id="c1", created=1, model="m1", system_fingerprint="fp1"),
    _chunk([_choice(0, content="a")], id="c1", created=1, model="m1"),
    _chunk([_choice(0, content="é")], id="c2", created=2, model="m2", system_fingerprint=None, service_tier="flex"),
    _chunk([_choice(0, content="b"), _choice(1, role="assistant", content="c")], id="c2", created=2, model="m2"),
    _chunk([_choice(1, content='"q"')], id="c2", created=2, model="m1", system_fingerprint="fp1"),
    _chunk([_choice(0, content="")], id="c2", created=2, model="m1", system_fingerprint="fp2", service_tier="x"),
    _chunk([_choice(0, "length")], id="c2", created=3, model="m1", system_fingerprint="fp2"),
    _chunk([_choice(1, "stop", content="z")], id="c1", created=3, model="m1", system_fingerprint="fp2"),
]


def test_chunks_whose_values_change_mid_stream_are_built_alike(monkeypatch):
    from rawmock import RawMock

    def stream() -> list[Any]:
        with RawMock() as m:
            m.on("POST", r"/chat/completions$", sse=[*CHANGING, "[DONE]"])
            return list(litellm_rs.completion(model="openai/m1", messages=[], api_base=m.url, api_key="k", stream=True))

    validated: list[Any] = []
    validate = ModelResponseStream.model_validate_json
    monkeypatch.setattr(
        ModelResponseStream, "model_validate_json", lambda raw, *a, **k: validated.append(raw) or validate(raw, *a, **k)
    )
    built = stream()
    assert validated == []  # every one of them made by the engine
    monkeypatch.setattr(streaming, "_chunk_spec", lambda: None)
    by_pydantic = stream()
    assert len(validated) == len(CHANGING) == len(built)
    for a, b, sent in zip(built, by_pydantic, CHANGING):
        assert model_state(a) == model_state(b)
        assert a.model_dump(exclude_unset=True) == b.model_dump(exclude_unset=True)
        assert (a.id, a.created, a.model) == (sent["id"], sent["created"], sent["model"])
        assert [c.delta.content for c in a.choices] == [c["delta"].get("content") for c in sent["choices"]]
