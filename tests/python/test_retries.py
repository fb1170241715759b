"""num_retries: retried statuses, retry-after, what is not retried, the module setting."""

from __future__ import annotations

import litellm_rs
import pytest
from support import achat, chat


def test_fail_twice_then_succeed_with_num_retries_2(mock):
    mock.fail(503, times=2)

    r = chat(mock, num_retries=2)

    assert r.choices[0].message.content == mock.chat_text
    assert mock.count() == 3
    # Every attempt sends the same request.
    assert mock.requests[0].body == mock.requests[2].body


def test_retries_are_bounded_by_num_retries(mock):
    mock.fail(503, times=5)

    with pytest.raises(litellm_rs.ServiceUnavailableError):
        chat(mock, num_retries=1)

    assert mock.count() == 2


def test_retry_after_header_is_honoured(mock):
    mock.fail(429, headers={"retry-after": "1"})

    r = chat(mock, num_retries=1)

    assert r.choices[0].message.content == mock.chat_text
    first, second = mock.requests
    gap = second.time - first.time
    assert gap >= 0.9, f"retried {gap:.2f}s after a 429 with retry-after: 1"


def test_retry_after_ms_header_is_honoured(mock):
    mock.fail(429, headers={"retry-after-ms": "700"})

    chat(mock, num_retries=1)

    first, second = mock.requests
    assert second.time - first.time >= 0.6


def test_bad_request_is_not_retried(mock):
    mock.fail(400, times=5)

    with pytest.raises(litellm_rs.BadRequestError):
        chat(mock, num_retries=2)

    assert mock.count() == 1


def test_authentication_error_is_not_retried(mock):
    mock.fail(401, times=5)

    with pytest.raises(litellm_rs.AuthenticationError):
        chat(mock, num_retries=2)

    assert mock.count() == 1


def test_module_level_num_retries(mock):
    litellm_rs.num_retries = 2
    mock.fail(500, times=2)

    r = chat(mock)

    assert r.choices[0].message.content == mock.chat_text
    assert mock.count() == 3


def test_call_num_retries_overrides_module_setting(mock):
    litellm_rs.num_retries = 3
    mock.fail(500, times=3)

    with pytest.raises(litellm_rs.InternalServerError):
        chat(mock, num_retries=0)

    assert mock.count() == 1


async def test_async_retries(mock):
    mock.fail(502, times=1)

    r = await achat(mock, num_retries=1)

    assert r.choices[0].message.content == mock.chat_text
    assert mock.count() == 2


def test_streaming_request_is_retried_before_the_first_chunk(mock):
    mock.fail(503, times=1)

    chunks = list(chat(mock, stream=True, num_retries=1))

    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == mock.chat_text
    assert mock.count() == 2


def test_retried_error_reports_num_retries(mock):
    mock.fail(503, times=5)

    with pytest.raises(litellm_rs.ServiceUnavailableError) as ei:
        chat(mock, num_retries=2)

    assert mock.count() == 3
    assert ei.value.num_retries == 2
