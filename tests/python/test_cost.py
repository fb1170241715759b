"""Cost and model information: response_cost on every response (real HTTP, mocked, streamed),
completion_cost / cost_per_token, register_model, model_cost, get_model_info, supports_*,
cheaper_alternatives, custom pricing and max_budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import litellm_rs
import pytest
from support import MSGS, chat

# gpt-4o-mini: input 1.5e-7, cached input 7.5e-8, output 6e-7 per token.
# The mock server's default usage: 19 prompt tokens (4 cached), 10 completion tokens:
#   15 × 1.5e-7 + 4 × 7.5e-8 + 10 × 6e-7 = 2.25e-6 + 3e-7 + 6e-6 = 8.55e-6
MOCK_SERVER_COST = 8.55e-6


def test_mocked_call_cost_matches_litellm():
    resp = litellm_rs.completion(model="gpt-4o-mini", messages=MSGS, mock_response="hi")
    cost = resp._hidden_params["response_cost"]
    assert isinstance(cost, float)
    assert cost == pytest.approx(1.35e-05)  # litellm's figure for 10 + 20 mocked tokens
    assert litellm_rs.completion_cost(completion_response=resp) == cost


def test_http_call_sets_response_cost(mock):
    resp = chat(mock)
    cost = resp._hidden_params["response_cost"]
    assert cost == pytest.approx(MOCK_SERVER_COST)
    assert litellm_rs.completion_cost(completion_response=resp) == cost
    # recomputed from the response's usage, model and provider (not the stored figure)
    assert litellm_rs.completion_cost(completion_response=resp, model="gpt-4o-mini") == pytest.approx(cost)


def test_unpriced_model_has_no_cost(mock):
    resp = chat(mock, model="openai/my-unlisted-finetune")
    assert resp._hidden_params["response_cost"] is None


def test_embedding_cost(mock):
    resp = litellm_rs.embedding(model="openai/text-embedding-3-small", input=["a", "b"], api_base=mock.url, api_key="k")
    usage = resp.usage.prompt_tokens
    assert resp._hidden_params["response_cost"] == pytest.approx(usage * 2e-8)


def test_stream_cost_after_the_end(mock):
    stream = chat(mock, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[-1].usage is not None
    assert stream._hidden_params["response_cost"] == pytest.approx(MOCK_SERVER_COST)
    assert getattr(chunks[-1].usage, "cost", None) is None  # only with include_cost_in_streaming_usage


def test_stream_usage_cost_with_include_cost_in_streaming_usage(mock):
    litellm_rs.include_cost_in_streaming_usage = True
    stream = chat(mock, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[-1].usage.cost == pytest.approx(MOCK_SERVER_COST)
    assert stream._hidden_params["response_cost"] == pytest.approx(MOCK_SERVER_COST)


def test_mocked_stream_cost():
    litellm_rs.include_cost_in_streaming_usage = True
    stream = litellm_rs.completion(
        model="gpt-4o-mini", messages=MSGS, mock_response="a b c", stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[-1].usage.cost == pytest.approx(1.35e-05)
    assert stream._hidden_params["response_cost"] == pytest.approx(1.35e-05)


def test_cost_per_token():
    prompt, completion = litellm_rs.cost_per_token(model="gpt-4o-mini", prompt_tokens=10, completion_tokens=20)
    assert prompt == pytest.approx(1.5e-6)
    assert completion == pytest.approx(1.2e-5)
    # Anthropic cache tokens are part of prompt_tokens: 100 uncached × 3e-6 + 2,000 × 3e-7 + 1,000 × 3.75e-6
    prompt, _ = litellm_rs.cost_per_token(
        model="claude-sonnet-4-5",
        prompt_tokens=3100,
        completion_tokens=0,
        cache_read_input_tokens=2000,
        cache_creation_input_tokens=1000,
    )
    assert prompt == pytest.approx(3e-4 + 6e-4 + 3.75e-3)
    with pytest.raises(litellm_rs.NotFoundError):
        litellm_rs.cost_per_token(model="no-such-model-xyz", prompt_tokens=1, completion_tokens=1)


def test_completion_cost_custom_pricing_and_texts():
    resp = litellm_rs.completion(model="gpt-4o-mini", messages=MSGS, mock_response="hi")
    custom = {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}
    assert litellm_rs.completion_cost(completion_response=resp, custom_cost_per_token=custom) == pytest.approx(
        10 * 1e-6 + 20 * 2e-6
    )
    assert litellm_rs.completion_cost(model="gpt-4o-mini", prompt="hello there", completion="hi") > 0


def test_per_call_custom_pricing():
    resp = litellm_rs.completion(
        model="gpt-4o-mini", messages=MSGS, mock_response="hi", input_cost_per_token=1e-6, output_cost_per_token=2e-6
    )
    assert resp._hidden_params["response_cost"] == pytest.approx(10 * 1e-6 + 20 * 2e-6)
    resp = litellm_rs.completion(model="openai/my-deployment", messages=MSGS, mock_response="hi", base_model="gpt-4o")
    # 10 × 2.5e-6 + 20 × 1e-5
    assert resp._hidden_params["response_cost"] == pytest.approx(2.5e-5 + 2e-4)


def test_register_model_changes_cost(tmp_path):
    name = "openai/my-registered-model-py"
    resp = litellm_rs.completion(model=name, messages=MSGS, mock_response="hi")
    assert resp._hidden_params["response_cost"] is None
    litellm_rs.register_model(
        {
            name: {
                "input_cost_per_token": 1e-5,
                "output_cost_per_token": 1e-5,
                "litellm_provider": "openai",
                "mode": "chat",
            }
        }
    )
    resp = litellm_rs.completion(model=name, messages=MSGS, mock_response="hi")
    assert resp._hidden_params["response_cost"] == pytest.approx(30 * 1e-5)
    assert litellm_rs.model_cost[name]["input_cost_per_token"] == 1e-5
    # from a JSON file: update an existing entry
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({name: {"output_cost_per_token": 2e-5}}))
    litellm_rs.register_model(str(path))
    resp = litellm_rs.completion(model=name, messages=MSGS, mock_response="hi")
    assert resp._hidden_params["response_cost"] == pytest.approx(10 * 1e-5 + 20 * 2e-5)


def test_model_cost_map_path_env(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"env-only-model": {"input_cost_per_token": 1e-3, "output_cost_per_token": 0.0,
                                                   "litellm_provider": "openai", "mode": "chat"}}))  # fmt: skip
    code = (
        "import litellm_rs\n"
        "print(litellm_rs.cost_per_token(model='env-only-model', prompt_tokens=2, completion_tokens=0)[0])\n"
        "print('gpt-4o-mini' in litellm_rs.model_cost)\n"
    )
    env = {**os.environ, "LITELLM_MODEL_COST_MAP_PATH": str(path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0.002", "True"]


def test_model_cost_is_lazy_and_litellm_shaped():
    code = (
        "import sys, litellm_rs\n"
        "assert 'model_cost' not in vars(litellm_rs)\n"
        "assert 'litellm_rs.cost' not in sys.modules\n"
        "m = litellm_rs.model_cost\n"
        "assert m is litellm_rs.model_cost\n"
        "print(len(m) > 4000, m['gpt-4o-mini']['litellm_provider'], m['gpt-4o-mini']['max_input_tokens'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "openai", "128000"]


def test_get_model_info():
    info = litellm_rs.get_model_info("gpt-4o-mini")
    assert info["max_input_tokens"] == 128000
    assert info["max_output_tokens"] == 16384
    assert info["input_cost_per_token"] == 1.5e-7
    assert info["output_cost_per_token"] == 6e-7
    assert info["mode"] == "chat"
    assert info["litellm_provider"] == "openai"
    assert info["supports_vision"] is True
    assert info["supports_reasoning"] is None
    assert "tools" in info["supported_openai_params"]
    assert litellm_rs.get_model_info("anthropic/claude-sonnet-4-5")["litellm_provider"] == "anthropic"
    assert litellm_rs.get_model_info("gemini-2.5-pro", custom_llm_provider="gemini")["key"] == "gemini/gemini-2.5-pro"
    with pytest.raises(Exception, match="isn't mapped yet") as exc:
        litellm_rs.get_model_info("no-such-model-xyz")
    assert isinstance(exc.value, litellm_rs.ModelNotMappedError)
    assert litellm_rs.get_max_tokens("gpt-4o-mini") == 16384


def test_supports_helpers():
    assert litellm_rs.supports_function_calling("gpt-4o-mini")
    assert litellm_rs.supports_parallel_function_calling("gpt-4o-mini")
    assert litellm_rs.supports_vision("gpt-4o-mini")
    assert litellm_rs.supports_response_schema("gpt-4o-mini")
    assert litellm_rs.supports_prompt_caching("gpt-4o-mini")
    assert litellm_rs.supports_system_messages("gpt-4o-mini")
    assert litellm_rs.supports_tool_choice("gpt-4o-mini")
    assert litellm_rs.supports_pdf_input("gpt-4o-mini")
    assert not litellm_rs.supports_reasoning("gpt-4o-mini")
    assert litellm_rs.supports_reasoning("claude-sonnet-4-5")
    assert litellm_rs.supports_audio_input("gemini/gemini-2.5-flash")
    assert litellm_rs.supports_web_search("gemini/gemini-2.5-pro")
    assert not litellm_rs.supports_audio_output("gpt-4o-mini")
    assert not litellm_rs.supports_vision("no-such-model-xyz")


def test_cheaper_alternatives():
    alts = litellm_rs.cheaper_alternatives("gpt-4o")
    assert alts
    own = 2.5e-6 + 1e-5
    prices = [a["input_cost_per_token"] + a["output_cost_per_token"] for a in alts]
    assert prices == sorted(prices)
    assert all(p < own for p in prices)
    for a in alts[:20]:
        assert litellm_rs.supports_vision(a["model"])
        assert litellm_rs.supports_function_calling(a["model"])
        assert 0 < a["savings"] < 1


def test_max_budget_raises_after_spending():
    litellm_rs.max_budget = 2e-5
    litellm_rs._current_cost = 0.0
    try:
        litellm_rs.completion(model="gpt-4o-mini", messages=MSGS, mock_response="hi")  # 1.35e-5
        litellm_rs.completion(model="gpt-4o-mini", messages=MSGS, mock_response="hi")  # 2.7e-5 > budget
        with pytest.raises(litellm_rs.BudgetExceededError):
            litellm_rs.completion(model="gpt-4o-mini", messages=MSGS, mock_response="hi")
    finally:
        litellm_rs.max_budget = 0.0
        litellm_rs._current_cost = 0.0


def test_litellm_utils_paths_offer_model_info_and_token_helpers():
    """Frameworks import these from ``litellm.utils`` (supports_prompt_caching and
    supports_tool_choice live only there in litellm)."""
    from litellm_rs import utils

    assert utils.supports_prompt_caching("claude-sonnet-4-5") is True
    assert utils.supports_tool_choice("gpt-4o-mini") is True
    assert (
        utils.get_model_info("gpt-4o-mini")["max_input_tokens"]
        == litellm_rs.get_model_info("gpt-4o-mini")["max_input_tokens"]
    )
    assert utils.token_counter(model="gpt-4o", text="hello world") == 2
    assert "tools" in utils.get_supported_openai_params("gpt-4o-mini")


def test_get_model_info_answers_every_key_litellm_does():
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    litellm = pytest.importorskip("litellm", reason="the real litellm is not installed")
    for model in ("gpt-4o-mini", "claude-sonnet-4-5", "gemini/gemini-2.5-flash"):
        theirs, ours = litellm.get_model_info(model), litellm_rs.get_model_info(model)
        assert list(theirs)[: len(theirs)] == list(ours)[: len(theirs)], model
        for key in ("max_input_tokens", "max_output_tokens", "input_cost_per_token", "output_cost_per_token",
                    "cache_read_input_token_cost", "litellm_provider", "mode", "supports_vision",
                    "supports_function_calling"):  # fmt: skip
            assert ours[key] == theirs[key], (model, key)
    info = litellm_rs.get_model_info("gpt-4o-mini")
    assert info["input_cost_per_character"] is None, "absent values are None, not missing keys"
