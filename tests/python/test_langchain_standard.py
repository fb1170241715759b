"""litellm_rs.integrations.langchain against the standard test suite of ``langchain-tests``: the
unit tests, and the integration tests run against the mock server (an agent-like upstream, see
agentmock.py) over real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

_REQUIRE = os.environ.get("LITELLM_RS_REQUIRE_FRAMEWORKS") == "1"
try:
    from langchain_tests.integration_tests import ChatModelIntegrationTests, EmbeddingsIntegrationTests
    from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests
except ImportError:
    if _REQUIRE:
        raise
    pytest.skip("langchain-tests is not installed", allow_module_level=True)

from agentmock import agent_text, agent_tool_calls
from litellm_rs.integrations.langchain import ChatLiteLLM, LiteLLMEmbeddings
from mockserver import MockServer

_server: dict[str, MockServer] = {}


@pytest.fixture(scope="module", autouse=True)
def upstream() -> Iterator[MockServer]:
    with MockServer() as server:
        server.tool_calls = agent_tool_calls
        server.chat_text = agent_text
        _server["mock"] = server
        yield server
    _server.clear()


def _base() -> str:
    return _server["mock"].url if "mock" in _server else "http://127.0.0.1:9/v1"


class TestChatLiteLLMUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatLiteLLM]:
        return ChatLiteLLM

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "gpt-4o-mini", "api_key": "sk-unit", "api_base": "http://127.0.0.1:9/v1"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return ({}, {"model": "gpt-4o-mini"}, {})


class TestChatLiteLLMIntegration(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatLiteLLM]:
        return ChatLiteLLM

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "openai/gpt-4o-mini", "api_key": "sk-integration", "api_base": _base()}

    @property
    def model_override_value(self) -> str:
        return "gpt-4o"

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return False


class TestLiteLLMEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[LiteLLMEmbeddings]:
        return LiteLLMEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "text-embedding-3-small", "api_key": "sk-unit"}


class TestLiteLLMEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[LiteLLMEmbeddings]:
        return LiteLLMEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "openai/text-embedding-3-small", "api_key": "sk-integration", "api_base": _base()}
