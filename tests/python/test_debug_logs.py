"""LITELLM_LOG=DEBUG / set_verbose: the engine logs requests and answers on stderr, never a key."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SECRET = "sk-debug-secret-4f9a8b7c"


def _run(mock_url: str, env_extra: dict[str, str], code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITELLM_")}
    env.update(env_extra)
    script = textwrap.dedent(
        f"""
        import litellm_rs
        {code}
        r = litellm_rs.completion(model="openai/gpt-4o-mini", messages=[{{"role": "user", "content": "ping"}}],
                                  api_base={mock_url!r}, api_key={SECRET!r})
        print("ANSWER", r.choices[0].message.content)
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script], check=False, env=env, capture_output=True, text=True, timeout=60
    )


def test_litellm_log_debug_shows_requests_and_answers_without_the_key(mock):
    out = _run(mock.url, {"LITELLM_LOG": "DEBUG"}, "")
    assert out.returncode == 0, out.stderr
    assert "ANSWER" in out.stdout
    err = out.stderr
    assert f"POST {mock.url}/chat/completions" in err
    assert '"content":"ping"' in err, "the request body is logged"
    assert "status=200" in err and "Hello from the mock server" in err, "the answer is logged"
    assert "[REDACTED]" in err
    assert SECRET not in err


def test_set_verbose_turns_debug_logs_on_and_they_are_off_by_default(mock):
    quiet = _run(mock.url, {}, "")
    assert quiet.returncode == 0 and "POST" not in quiet.stderr
    loud = _run(mock.url, {}, "litellm_rs.set_verbose = True")
    assert loud.returncode == 0, loud.stderr
    assert f"POST {mock.url}/chat/completions" in loud.stderr
    assert SECRET not in loud.stderr + loud.stdout
