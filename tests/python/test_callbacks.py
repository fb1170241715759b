"""Callbacks: success/failure/input functions, CustomLogger hooks (sync off the call's path,
async on the caller's loop), the standard logging object, streams, redaction, request rewriting."""

from __future__ import annotations

import asyncio
import datetime
import json
import threading
import time

import litellm_rs
import pytest
from litellm_rs.integrations.custom_logger import CustomLogger
from support import KEY, MSGS, achat, chat


def _wait(events: list, n: int = 1, timeout: float = 5.0) -> list:
    litellm_rs.flush_callbacks()
    deadline = time.monotonic() + timeout
    while len(events) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    return events


class Recorder(CustomLogger):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.events: list[tuple] = []

    def log_pre_api_call(self, model, messages, kwargs):
        self.events.append(("pre", threading.current_thread().name, model, messages))

    def log_post_api_call(self, kwargs, response_obj, start_time, end_time):
        self.events.append(("post", response_obj))

    def log_success_event(self, kwargs, response_obj, start_time, end_time):
        self.events.append(("success", threading.current_thread().name, kwargs, response_obj, start_time, end_time))

    def log_failure_event(self, kwargs, response_obj, start_time, end_time):
        self.events.append(("failure", kwargs, response_obj))

    def log_stream_event(self, kwargs, response_obj, start_time, end_time):
        self.events.append(("stream_end", response_obj))


class AsyncRecorder(CustomLogger):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.events: list[tuple] = []

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        self.events.append(("success", asyncio.get_running_loop(), kwargs, response_obj))

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        self.events.append(("failure", asyncio.get_running_loop(), kwargs, response_obj))


def test_success_callback_gets_kwargs_with_the_standard_logging_object(mock):
    seen = []
    litellm_rs.success_callback = [lambda kw, resp, st, et: seen.append((kw, resp, st, et, threading.current_thread()))]
    resp = chat(mock, temperature=0.3, user="u-42", metadata={"team": "search"}, tags=["beta"])
    kwargs, response_obj, start, end, thread = _wait(seen)[0]

    assert response_obj is resp
    assert thread is not threading.main_thread(), "sync callbacks run off the caller's thread"
    assert isinstance(start, datetime.datetime) and isinstance(end, datetime.datetime) and start <= end
    assert kwargs["model"] == "gpt-4o-mini"
    assert kwargs["messages"] == MSGS
    assert kwargs["call_type"] == "completion"
    assert kwargs["optional_params"] == {"temperature": 0.3, "user": "u-42"}
    assert kwargs["litellm_params"]["metadata"] == {"team": "search"}
    assert "api_key" not in kwargs["litellm_params"], "secrets never reach callbacks"

    slo = kwargs["standard_logging_object"]
    assert slo["id"] == resp.id
    assert slo["status"] == "success"
    assert slo["call_type"] == "completion"
    assert slo["custom_llm_provider"] == "openai"
    assert slo["model"] == "gpt-4o-mini"
    assert slo["api_base"] == mock.url
    assert slo["prompt_tokens"] == resp.usage.prompt_tokens
    assert slo["completion_tokens"] == resp.usage.completion_tokens
    assert slo["total_tokens"] == resp.usage.total_tokens
    assert slo["response_cost"] == pytest.approx(resp._hidden_params["response_cost"]) and slo["response_cost"] > 0
    assert kwargs["response_cost"] == slo["response_cost"]
    assert slo["model_parameters"] == {"temperature": 0.3, "user": "u-42"}
    assert slo["metadata"]["team"] == "search" and slo["metadata"]["user_api_key_hash"] is None
    assert slo["request_tags"] == ["beta"]
    assert slo["end_user"] == "u-42"
    assert slo["messages"] == MSGS
    assert slo["response"]["choices"][0]["message"]["content"] == resp.choices[0].message.content
    assert slo["startTime"] <= slo["endTime"] and slo["response_time"] >= 0
    assert slo["error_str"] is None and slo["cache_hit"] is None
    assert slo["litellm_call_id"] == kwargs["litellm_call_id"]
    assert KEY not in repr(kwargs)


def test_failure_callback_gets_the_exception_and_a_failure_payload(mock):
    seen = []
    litellm_rs.failure_callback = [lambda kw, resp, st, et: seen.append((kw, resp))]
    mock.fail(429, "Rate limit reached for gpt-4o-mini")
    with pytest.raises(litellm_rs.RateLimitError) as caught:
        chat(mock)
    kwargs, response_obj = _wait(seen)[0]

    assert response_obj is None
    assert kwargs["exception"] is caught.value
    assert "RateLimitError" in kwargs["traceback_exception"]
    slo = kwargs["standard_logging_object"]
    assert slo["status"] == "failure"
    assert slo["error_information"]["error_class"] == "RateLimitError"
    assert slo["error_information"]["error_code"] == "429"
    assert slo["error_information"]["llm_provider"] == "openai"
    assert "Rate limit reached" in slo["error_str"]
    assert slo["response"] == {}


def test_custom_logger_hooks_run_in_litellms_order(mock):
    rec = Recorder()
    litellm_rs.callbacks = [rec]
    resp = chat(mock)
    _wait(rec.events, 3)

    kinds = [e[0] for e in rec.events]
    assert kinds == ["pre", "post", "success"]
    assert rec.events[0][1] == threading.current_thread().name, "log_pre_api_call runs before the call, on its thread"
    assert rec.events[0][2] == "openai/gpt-4o-mini" and rec.events[0][3] == MSGS
    assert rec.events[1][1] is resp
    assert rec.events[2][1] != threading.current_thread().name
    assert rec.events[2][3] is resp

    mock.fail(500)
    with pytest.raises(litellm_rs.InternalServerError):
        chat(mock, num_retries=0)
    _wait(rec.events, 5)
    failure = [e for e in rec.events if e[0] == "failure"]
    assert len(failure) == 1 and failure[0][2] is None
    assert isinstance(failure[0][1]["exception"], litellm_rs.InternalServerError)


def test_a_raising_callback_is_logged_and_never_reaches_the_call(mock, caplog):
    good = []

    def bad(kwargs, resp, st, et):
        raise RuntimeError("callback bug")

    litellm_rs.success_callback = [bad, lambda kw, resp, st, et: good.append(resp)]
    litellm_rs.input_callback = [lambda kw: 1 / 0]
    with caplog.at_level("ERROR", logger="LiteLLM"):
        resp = chat(mock)
        _wait(good)
    assert good == [resp], "the callbacks after a raising one still run"
    text = caplog.text
    assert "callback bug" in text and "ZeroDivisionError" in text


def test_input_callback_gets_the_request_before_the_call(mock):
    seen = []
    litellm_rs.input_callback = [lambda kw: seen.append((kw, mock.count()))]
    chat(mock, temperature=0.1)
    kwargs, requests_before = seen[0]
    assert requests_before == 0
    assert kwargs["model"] == "openai/gpt-4o-mini" and kwargs["messages"] == MSGS
    assert kwargs["log_event_type"] == "pre_api_call"
    assert kwargs["optional_params"] == {"temperature": 0.1}


async def test_async_hooks_run_on_the_callers_loop(mock):
    rec = AsyncRecorder()
    sync_seen = []
    litellm_rs.callbacks = [rec]
    litellm_rs.success_callback = [lambda kw, resp, st, et: sync_seen.append(resp)]
    resp = await achat(mock)
    for _ in range(100):
        if rec.events:
            break
        await asyncio.sleep(0.01)
    assert len(rec.events) == 1
    kind, loop, kwargs, response_obj = rec.events[0]
    assert kind == "success" and loop is asyncio.get_running_loop()
    assert response_obj is resp
    assert kwargs["call_type"] == "acompletion"
    assert kwargs["standard_logging_object"]["call_type"] == "acompletion"
    await asyncio.to_thread(_wait, sync_seen)
    assert sync_seen == [resp], "plain sync callbacks run for async calls too"

    mock.fail(400, "bad things")
    with pytest.raises(litellm_rs.BadRequestError):
        await achat(mock)
    for _ in range(100):
        if len(rec.events) == 2:
            break
        await asyncio.sleep(0.01)
    assert rec.events[1][0] == "failure" and rec.events[1][1] is asyncio.get_running_loop()
    assert isinstance(rec.events[1][2]["exception"], litellm_rs.BadRequestError)


async def test_async_pre_request_hook_can_rewrite_the_request(mock):
    seen = []

    class Rewriter(CustomLogger):
        async def async_pre_request_hook(self, model, messages, kwargs):
            seen.append(kwargs)
            return {"messages": [{"role": "user", "content": "rewritten"}], "temperature": 0.9, "top_k": 3}

    litellm_rs.callbacks = [Rewriter()]
    await achat(mock, temperature=0.1)
    body = mock.last.body
    assert body["messages"] == [{"role": "user", "content": "rewritten"}]
    assert body["temperature"] == 0.9 and body["top_k"] == 3
    assert seen[0]["temperature"] == 0.1 and "api_key" not in seen[0], "the hook sees the call, not its key"
    assert mock.last.header("authorization") == f"Bearer {KEY}"


def test_stream_fires_success_once_at_its_end_with_the_complete_response(mock):
    rec = Recorder()
    litellm_rs.callbacks = [rec]
    stream = chat(mock, stream=True, stream_options={"include_usage": True})
    first = next(stream)
    time.sleep(0.05)
    assert not [e for e in rec.events if e[0] == "success"], "no success before the stream ends"
    chunks = [first, *stream]
    _wait(rec.events, 2)
    success = [e for e in rec.events if e[0] == "success"]
    assert len(success) == 1
    _, _, kwargs, complete, _, _ = success[0]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert complete.choices[0].message.content == text
    assert [e[1] for e in rec.events if e[0] == "stream_end"] == [complete], "log_stream_event once, at the end"
    assert kwargs["complete_streaming_response"] is complete
    assert kwargs["stream"] is True
    slo = kwargs["standard_logging_object"]
    assert slo["stream"] is True
    assert slo["completion_tokens"] == chunks[-1].usage.completion_tokens > 0
    assert slo["response"]["choices"][0]["message"]["content"] == text
    assert slo["completionStartTime"] >= slo["startTime"]


async def test_async_stream_fires_async_success_once(mock):
    rec = AsyncRecorder()
    litellm_rs.callbacks = [rec]
    stream = await achat(mock, stream=True)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    for _ in range(100):
        if rec.events:
            break
        await asyncio.sleep(0.01)
    assert len(rec.events) == 1
    _, _, kwargs, complete = rec.events[0]
    assert complete.choices[0].message.content == text
    assert kwargs["async_complete_streaming_response"] is complete


def test_a_broken_stream_fires_failure(mock):
    rec = Recorder()
    litellm_rs.callbacks = [rec]
    mock.truncate(after=2)
    stream = chat(mock, stream=True)
    with pytest.raises(Exception):  # noqa: B017 - the class is tested in test_streaming
        list(stream)
    _wait(rec.events, 2)
    kinds = [e[0] for e in rec.events]
    assert kinds.count("failure") == 1 and "success" not in kinds
    failure = next(e for e in rec.events if e[0] == "failure")
    assert failure[1]["standard_logging_object"]["status"] == "failure"


def test_turn_off_message_logging_redacts_everywhere(mock):
    rec = Recorder()
    litellm_rs.callbacks = [rec]
    litellm_rs.turn_off_message_logging = True
    resp = chat(mock)
    _wait(rec.events, 3)
    _, _, kwargs, _response_obj, _, _ = next(e for e in rec.events if e[0] == "success")
    slo = kwargs["standard_logging_object"]
    assert slo["messages"] == [{"role": "user", "content": "redacted-by-litellm"}]
    assert slo["response"]["choices"][0]["message"]["content"] == "redacted-by-litellm"
    assert kwargs["messages"] == [{"role": "user", "content": "redacted-by-litellm"}]
    assert resp.choices[0].message.content != "redacted-by-litellm", "the caller's answer is untouched"


def test_a_logger_can_turn_off_message_logging_for_itself(mock):
    private, plain = Recorder(turn_off_message_logging=True), Recorder()
    litellm_rs.callbacks = [private, plain]
    resp = chat(mock)
    _wait(private.events, 3)
    _wait(plain.events, 3)
    p = next(e for e in private.events if e[0] == "success")
    q = next(e for e in plain.events if e[0] == "success")
    assert p[2]["standard_logging_object"]["messages"][0]["content"] == "redacted-by-litellm"
    assert p[3].choices[0].message.content == "redacted-by-litellm"
    assert q[2]["standard_logging_object"]["messages"] == MSGS
    assert q[3] is resp


def test_per_call_callbacks_apply_to_that_call_only(mock):
    rec = Recorder()
    chat(mock, callbacks=[rec])
    chat(mock)
    _wait(rec.events, 3)
    time.sleep(0.1)
    assert [e[0] for e in rec.events] == ["pre", "post", "success"]


def test_mocked_responses_are_logged(mock):
    seen = []
    litellm_rs.success_callback = [lambda kw, resp, st, et: seen.append((kw, resp))]
    failures = []
    litellm_rs.failure_callback = [lambda kw, resp, st, et: failures.append(kw)]
    resp = litellm_rs.completion(model="gpt-4o-mini", messages=MSGS, mock_response="canned")
    obj = litellm_rs.completion(
        model="gpt-4o-mini",
        messages=MSGS,
        mock_response={"choices": [{"message": {"role": "assistant", "content": "as object"}}]},
    )
    with pytest.raises(litellm_rs.RateLimitError):
        litellm_rs.completion(model="gpt-4o-mini", messages=MSGS, mock_response="litellm.RateLimitError")
    _wait(seen, 2)
    _wait(failures)
    assert (
        seen[0][1] is resp
        and seen[0][0]["standard_logging_object"]["response"]["choices"][0]["message"]["content"] == "canned"
    )
    assert seen[1][1] is obj
    assert seen[1][0]["standard_logging_object"]["status"] == "success"
    assert failures[0]["standard_logging_object"]["error_information"]["error_class"] == "RateLimitError"


def test_embedding_and_text_completion_are_logged_with_their_call_types(mock):
    seen = []
    litellm_rs.success_callback = [lambda kw, resp, st, et: seen.append(kw)]
    litellm_rs.embedding(model="openai/text-embedding-3-small", input=["a", "b"], api_base=mock.url, api_key=KEY)
    litellm_rs.text_completion(model="openai/gpt-3.5-turbo-instruct", prompt="Say", api_base=mock.url, api_key=KEY)
    _wait(seen, 2)
    by_type = {kw["call_type"]: kw["standard_logging_object"] for kw in seen}
    assert by_type["embedding"]["messages"] == ["a", "b"]
    assert by_type["embedding"]["prompt_tokens"] > 0
    assert by_type["text_completion"]["messages"] == "Say"
    assert by_type["text_completion"]["response"]["choices"][0]["text"]


def test_nothing_registered_means_no_payload(mock):
    from litellm_rs import _core

    _data, _, log = _core.completion(
        {"model": "openai/gpt-4o-mini", "messages": MSGS}, {"api_base": mock.url, "api_key": KEY}
    )
    assert log is None
    data, _hidden, log = _core.completion(
        {"model": "openai/gpt-4o-mini", "messages": MSGS}, {"api_base": mock.url, "api_key": KEY, "log_payload": True}
    )
    call_id, trace_id = log.ids()
    payload = log.json()
    assert log.json() == payload, "asking again gives the same payload"
    slo = json.loads(payload)
    assert slo["status"] == "success" and slo["litellm_call_id"] == call_id and slo["trace_id"] == trace_id
    assert slo["response"] == json.loads(data)


def test_unserialisable_metadata_does_not_fail_the_call(mock):
    seen = []
    litellm_rs.success_callback = [lambda kw, resp, st, et: seen.append(kw)]
    resp = chat(mock, metadata={"obj": object()})
    assert resp.choices[0].message.content
    _wait(seen)
    assert seen[0]["standard_logging_object"]["status"] == "success"


def test_metadata_of_subclassed_values_reaches_the_logging_object(mock):
    """Values that are not plain (a str enum, an OrderedDict) are read the general way: a lenient
    field such as metadata must not lose them."""
    import collections
    import enum

    class Team(str, enum.Enum):
        SEARCH = "search"

    seen = []
    litellm_rs.success_callback = [lambda kw, resp, st, et: seen.append(kw)]
    chat(mock, metadata={"team": Team.SEARCH, "nested": collections.OrderedDict(a=1)}, tags=("beta",))
    slo = _wait(seen)[0]["standard_logging_object"]
    assert slo["metadata"]["team"] == "search" and slo["metadata"]["nested"] == {"a": 1}
    assert slo["request_tags"] == ["beta"]


def test_the_standard_logging_object_has_litellms_fields(mock):
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch at litellm import
    litellm = pytest.importorskip("litellm", reason="the real litellm is not installed")
    theirs, ours = [], []
    litellm.success_callback = [lambda kw, resp, st, et: theirs.append(kw)]
    try:
        litellm.completion(model="gpt-4o-mini", messages=MSGS, mock_response="x")
        deadline = time.monotonic() + 10
        while not theirs and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        litellm.success_callback = []
    litellm_rs.success_callback = [lambda kw, resp, st, et: ours.append(kw)]
    litellm_rs.completion(model="gpt-4o-mini", messages=MSGS, mock_response="x")
    _wait(ours)
    assert theirs, "litellm ran its callback"
    slo_theirs, slo_ours = theirs[0]["standard_logging_object"], ours[0]["standard_logging_object"]
    assert set(slo_theirs) <= set(slo_ours)
    assert set(slo_theirs["hidden_params"]) - {"batch_successful_requests", "batch_failed_requests"} <= set(
        slo_ours["hidden_params"]
    )
    assert set(slo_theirs["metadata"]) - {"kubernetes_pod_routing", "used_client_oauth_token"} <= set(
        slo_ours["metadata"]
    )
    # the kwargs litellm hands to callbacks, but the key (secrets never reach callbacks)
    assert set(theirs[0]) - {
        "api_key",
        "has_logged_sync_success",
        "agentic_loop_params",
        "current_attempt_api_call_start_time",
        "first_api_call_start_time",
    } <= set(ours[0])
    for key in (
        "model",
        "call_type",
        "custom_llm_provider",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "status",
    ):
        assert slo_ours[key] == slo_theirs[key], key
    assert slo_ours["response_cost"] == pytest.approx(slo_theirs["response_cost"])


def test_changing_the_registered_callbacks_takes_effect_on_the_next_call(mock):
    first, second = [], []
    litellm_rs.success_callback = [lambda kw, resp, st, et: first.append(resp)]
    chat(mock)
    litellm_rs.success_callback[0] = lambda kw, resp, st, et: second.append(resp)
    chat(mock)
    litellm_rs.success_callback = []
    chat(mock)
    _wait(second)
    assert len(first) == 1 and len(second) == 1


def test_a_stream_without_usage_is_counted_and_priced_for_callbacks(mock):
    rec = Recorder()
    litellm_rs.callbacks = [rec]
    stream = chat(mock, stream=True)  # no include_usage: the upstream sends no usage chunk
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    _wait(rec.events, 2)
    _, _, kwargs, complete, _, _ = next(e for e in rec.events if e[0] == "success")
    slo = kwargs["standard_logging_object"]
    assert slo["prompt_tokens"] == litellm_rs.token_counter(model="gpt-4o-mini", messages=MSGS)
    assert slo["completion_tokens"] == litellm_rs.token_counter(model="gpt-4o-mini", text=text) > 0
    assert slo["response_cost"] > 0
    assert stream._hidden_params["response_cost"] == pytest.approx(slo["response_cost"])
    assert complete.usage.total_tokens == slo["total_tokens"]


def test_hook_kwargs_behave_as_a_plain_dict(mock):
    seen = []

    def hook(kwargs, resp, st, et):
        seen.append(
            {
                "contains": ("model" in kwargs, "standard_logging_object" in kwargs),
                "copy": dict(kwargs),
                "spread": {**kwargs},
                "len": len(kwargs),
                "keys": set(kwargs),
                "json": json.dumps(kwargs["standard_logging_object"]),
                "get": kwargs.get("call_type"),
            }
        )

    litellm_rs.success_callback = [hook]
    chat(mock)
    _wait(seen)
    s = seen[0]
    assert s["contains"] == (True, True)
    assert s["copy"]["standard_logging_object"]["status"] == "success" and s["copy"]["model"] == "gpt-4o-mini"
    assert s["spread"].keys() == s["copy"].keys() == s["keys"]
    assert s["len"] == len(s["keys"]) > 25
    assert json.loads(s["json"])["call_type"] == "completion"
    assert s["get"] == "completion"


async def test_async_pre_call_and_stream_hooks(mock):
    events = []

    class Hooks(CustomLogger):
        async def async_log_pre_api_call(self, model, messages, kwargs):
            events.append(("pre", model, mock.count()))

        async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
            events.append(("success", response_obj))

        async def async_log_stream_event(self, kwargs, response_obj, start_time, end_time):
            events.append(("stream_end", response_obj))

    litellm_rs.callbacks = [Hooks()]
    stream = await achat(mock, stream=True)
    chunks = [c async for c in stream]
    for _ in range(100):
        if len(events) >= 3:
            break
        await asyncio.sleep(0.01)
    assert events[0] == ("pre", "openai/gpt-4o-mini", 0), "awaited before the request"
    assert [e[0] for e in events[1:]] == ["success", "stream_end"]
    assert events[1][1] is events[2][1]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert events[2][1].choices[0].message.content == text
