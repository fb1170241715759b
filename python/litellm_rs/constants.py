"""Constants litellm exposes that frameworks read (``litellm.constants``)."""

from __future__ import annotations

import os


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


# the parameters of OpenAI's chat completions call that litellm accepts (and maps per provider);
# the list is litellm's, duplicate included, as frameworks read it
OPENAI_CHAT_COMPLETION_PARAMS = [
    "functions", "function_call", "temperature", "temperature", "top_p", "n", "stream", "stream_options",
    "stop", "max_completion_tokens", "modalities", "prediction", "audio", "max_tokens", "presence_penalty",
    "frequency_penalty", "logit_bias", "user", "request_timeout", "api_base", "api_version", "api_key",
    "deployment_id", "organization", "base_url", "default_headers", "timeout", "response_format", "seed",
    "tools", "tool_choice", "max_retries", "parallel_tool_calls", "logprobs", "top_logprobs",
    "reasoning_effort", "extra_headers", "thinking", "web_search_options",
    "include_server_side_tool_invocations", "service_tier", "prompt_cache_key", "prompt_cache_retention",
    "safety_identifier", "verbosity", "store",
]  # fmt: skip

# thinking budgets litellm gives reasoning_effort levels (and ``thinking=True``)
DEFAULT_REASONING_EFFORT_MINIMAL_THINKING_BUDGET = _env_int("DEFAULT_REASONING_EFFORT_MINIMAL_THINKING_BUDGET", 128)
DEFAULT_REASONING_EFFORT_LOW_THINKING_BUDGET = _env_int("DEFAULT_REASONING_EFFORT_LOW_THINKING_BUDGET", 1024)
DEFAULT_REASONING_EFFORT_MEDIUM_THINKING_BUDGET = _env_int("DEFAULT_REASONING_EFFORT_MEDIUM_THINKING_BUDGET", 2048)
DEFAULT_REASONING_EFFORT_HIGH_THINKING_BUDGET = _env_int("DEFAULT_REASONING_EFFORT_HIGH_THINKING_BUDGET", 4096)
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_TOKENS = 4096
