"""Upstream failures surface as litellm's exception classes, with litellm's attributes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import litellm_rs
import pytest
from mockserver import free_port
from support import api_error_family, chat

CONTEXT_MSG = (
    "This model's maximum context length is 128000 tokens. However, your messages resulted in 130532 tokens. "
    "Please reduce the length of the messages."
)
POLICY_MSG = (
    "Your request was rejected as a result of our safety system. Your prompt may contain text that is not "
    "allowed by our safety system."
)

# status, error.type, error.code, message, expected class name
CASES = [
    (400, "invalid_request_error", None, "Invalid value for 'temperature': expected a number <= 2.", "BadRequestError"),
    (400, "invalid_request_error", "context_length_exceeded", CONTEXT_MSG, "ContextWindowExceededError"),
    (400, "invalid_request_error", "content_policy_violation", POLICY_MSG, "ContentPolicyViolationError"),
    (
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: sk-te****test.",
        "AuthenticationError",
    ),
    (
        403,
        "invalid_request_error",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
        "PermissionDeniedError",
    ),
    (
        404,
        "invalid_request_error",
        "model_not_found",
        "The model `gpt-9` does not exist or you do not have access to it.",
        "NotFoundError",
    ),
    (408, "timeout", None, "Request timed out while waiting for the model.", "Timeout"),
    (
        422,
        "invalid_request_error",
        None,
        "Unprocessable Entity: 'messages' could not be parsed",
        "UnprocessableEntityError",
    ),
    (
        429,
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.",
        "RateLimitError",
    ),
    (
        500,
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
        "InternalServerError",
    ),
    (502, "server_error", None, "Bad gateway: upstream connect error.", "BadGatewayError"),
    (
        503,
        "server_error",
        None,
        "The engine is currently overloaded, please try again later.",
        "ServiceUnavailableError",
    ),
]


@pytest.mark.parametrize(
    ("status", "etype", "code", "message", "cls_name"), CASES, ids=[c[4] + f"-{c[0]}" for c in CASES]
)
def test_status_maps_to_litellm_exception(mock, status, etype, code, message, cls_name):
    mock.fail(status, message, type=etype, code=code, times=10)

    with pytest.raises(Exception) as ei:
        chat(mock, num_retries=0)

    e = ei.value
    expected = getattr(litellm_rs, cls_name)
    assert type(e) is expected, f"expected {cls_name}, got {type(e).__name__}: {e}"
    assert e is not None and isinstance(e, getattr(litellm_rs.exceptions, cls_name))
    assert e.status_code == status
    assert e.llm_provider == "openai"
    assert e.model == "gpt-4o-mini"
    assert message in str(e)
    assert message in e.message


def test_subclass_relations_let_users_catch_broadly(mock):
    mock.fail(400, CONTEXT_MSG, code="context_length_exceeded")
    with pytest.raises(litellm_rs.BadRequestError):
        chat(mock, num_retries=0)

    mock.fail(400, POLICY_MSG, code="content_policy_violation")
    with pytest.raises(litellm_rs.BadRequestError):
        chat(mock, num_retries=0)


def test_groq_error_carries_groq_provider(mock):
    mock.flavor = "groq"
    mock.fail(
        429,
        "Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01`",
        type="tokens",
        code="rate_limit_exceeded",
    )

    with pytest.raises(litellm_rs.RateLimitError) as ei:
        litellm_rs.completion(
            model="groq/llama-3.3-70b-versatile",
            messages=[{"role": "user", "content": "hi"}],
            api_base=mock.url,
            api_key="gsk-test",
            num_retries=0,
        )
    assert ei.value.llm_provider == "groq"
    assert ei.value.model == "llama-3.3-70b-versatile"
    assert "llama-3.3-70b-versatile" in str(ei.value)


def test_api_key_never_appears_in_the_exception(mock):
    secret = "sk-proj-SECRETabc123def456ghi789"
    mock.fail(
        401,
        f"Incorrect API key provided: {secret}. You can find your API key at https://platform.openai.com/account/api-keys.",
        code="invalid_api_key",
    )

    with pytest.raises(litellm_rs.AuthenticationError) as ei:
        chat(mock, api_key=secret, num_retries=0)

    e = ei.value
    assert mock.last.header("authorization") == f"Bearer {secret}"  # it did go upstream
    assert "Incorrect API key provided" in str(e)
    for text in (str(e), repr(e), e.message, str(e.args)):
        assert secret not in text


def test_a_key_with_no_recognisable_shape_is_redacted_by_the_engine(mock):
    """An Azure-style 32-hex key matches no key pattern: only the engine's redaction (which knows
    the key it sent) can keep it out of the exception, its body and its response text."""
    secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    mock.fail(401, f"Access denied due to invalid subscription key {secret}.", code="401")

    with pytest.raises(litellm_rs.AuthenticationError) as ei:
        chat(mock, api_key=secret, num_retries=0)

    e = ei.value
    assert mock.last.header("authorization") == f"Bearer {secret}"
    assert "invalid subscription key" in str(e)
    texts = [str(e), repr(e), e.message, str(e.args), str(getattr(e, "body", "")), e.response.text]
    for text in texts:
        assert secret not in text


def test_a_huge_timeout_is_a_long_timeout_not_an_error(mock):
    r = chat(mock, timeout=1e20)
    assert r.choices[0].message.content


def test_connection_refused_is_api_connection_error():
    port = free_port()
    t0 = time.monotonic()
    with pytest.raises(litellm_rs.APIConnectionError) as ei:
        litellm_rs.completion(
            model="openai/gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            api_base=f"http://127.0.0.1:{port}/v1",
            api_key="sk-test",
            num_retries=0,
        )
    assert time.monotonic() - t0 < 5
    assert ei.value.llm_provider == "openai"


def test_timeout_raises_litellm_timeout_quickly(mock):
    mock.delay = 2.0

    t0 = time.monotonic()
    with pytest.raises(litellm_rs.Timeout) as ei:
        chat(mock, timeout=0.2, num_retries=0)
    elapsed = time.monotonic() - t0

    assert elapsed < 1.5, f"timeout=0.2 took {elapsed:.2f}s"
    assert ei.value.status_code == 408
    assert ei.value.llm_provider == "openai"


def test_module_request_timeout_setting(mock):
    mock.delay = 2.0
    litellm_rs.request_timeout = 0.2

    t0 = time.monotonic()
    with pytest.raises(litellm_rs.Timeout):
        chat(mock, num_retries=0)
    assert time.monotonic() - t0 < 1.5


def test_malformed_json_is_an_api_error_not_a_crash(mock):
    mock.malformed(times=10)

    with pytest.raises(Exception) as ei:
        chat(mock, num_retries=0)

    assert isinstance(ei.value, api_error_family()), f"{type(ei.value).__mro__}: {ei.value}"


def test_non_json_error_body_keeps_its_text(mock):
    mock.fail(502, body="<html><body><h1>502 Bad Gateway</h1></body></html>", times=10)

    with pytest.raises(litellm_rs.BadGatewayError) as ei:
        chat(mock, num_retries=0)
    assert "502 Bad Gateway" in str(ei.value)


def test_openai_except_clauses_catch_ours(mock):
    openai = pytest.importorskip("openai")
    mock.fail(429, times=10)

    try:
        chat(mock, num_retries=0)
    except openai.RateLimitError as e:
        assert isinstance(e, litellm_rs.RateLimitError)
        assert isinstance(e, openai.APIStatusError)
        assert e.status_code == 429
    else:  # pragma: no cover - the call must fail
        pytest.fail("no exception")

    mock.clear_script()
    mock.fail(401, times=10)
    with pytest.raises(openai.AuthenticationError):
        chat(mock, num_retries=0)

    mock.clear_script()
    mock.delay = 2.0
    with pytest.raises(openai.APITimeoutError):
        chat(mock, timeout=0.2, num_retries=0)


def test_import_does_not_import_openai_or_pydantic():
    code = textwrap.dedent(
        """
        import json, sys
        import litellm_rs
        print(json.dumps(sorted(m for m in ("openai", "pydantic", "httpx") if m in sys.modules)))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "openai" not in loaded
    assert "pydantic" not in loaded


def test_import_does_not_load_typing_re_or_enum():
    """`import litellm_rs` stays cheap: it does not load the standard library's typing, re, enum
    or asyncio (typing alone brings re, enum, collections and contextlib: about 14 ms here)."""
    probe = "import sys\n{imp}\nprint(' '.join(m for m in ('typing', 're', 'enum', 'asyncio') if m in sys.modules))"

    def loaded(imp: str) -> set[str]:
        out = subprocess.run([sys.executable, "-c", probe.format(imp=imp)], check=False, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return set(out.stdout.split())

    # what the interpreter's start-up (site, .pth hooks) loads anyway does not count
    assert loaded("import litellm_rs") == loaded("pass")


def test_exceptions_are_reexported_at_top_level():
    for name in (
        "BadRequestError",
        "ContextWindowExceededError",
        "ContentPolicyViolationError",
        "UnsupportedParamsError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "Timeout",
        "UnprocessableEntityError",
        "RateLimitError",
        "InternalServerError",
        "BadGatewayError",
        "ServiceUnavailableError",
        "APIError",
        "APIConnectionError",
        "APIResponseValidationError",
    ):
        assert getattr(litellm_rs, name) is getattr(litellm_rs.exceptions, name), name
    assert issubclass(litellm_rs.ContextWindowExceededError, litellm_rs.BadRequestError)
    assert issubclass(litellm_rs.ContentPolicyViolationError, litellm_rs.BadRequestError)
    assert issubclass(litellm_rs.UnsupportedParamsError, litellm_rs.BadRequestError)


def test_user_can_construct_exceptions_like_litellm():
    e = litellm_rs.RateLimitError(message="slow down", llm_provider="openai", model="gpt-4o-mini")
    assert e.status_code == 429
    assert e.llm_provider == "openai"
    assert e.model == "gpt-4o-mini"
    assert "slow down" in str(e)
    e = litellm_rs.BadRequestError(message="bad", model="gpt-4o-mini", llm_provider="openai")
    assert e.status_code == 400


def test_exception_str_has_litellm_prefix_and_response(mock):
    mock.fail(429, headers={"retry-after": "20"}, times=10)

    with pytest.raises(litellm_rs.RateLimitError) as ei:
        chat(mock, num_retries=0)

    e = ei.value
    assert str(e).startswith("litellm.RateLimitError:")
    assert e.response.status_code == 429
    assert e.response.headers.get("retry-after") == "20"


def test_exceptions_pickle(mock):
    import pickle

    mock.fail(503, times=10)
    with pytest.raises(litellm_rs.ServiceUnavailableError) as ei:
        chat(mock, num_retries=0)

    clone = pickle.loads(pickle.dumps(ei.value))
    assert type(clone) is litellm_rs.ServiceUnavailableError
    assert clone.status_code == 503
    assert clone.llm_provider == "openai"
    assert str(clone) == str(ei.value)
