"""litellm_rs: litellm's Python API on a Rust engine.

    import litellm_rs as litellm
    response = litellm.completion(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])

Importing is cheap: the response types (pydantic), the exception classes (openai, when installed)
and the submodules load on first use. Module settings are plain attributes with litellm's
defaults; assign them at any time (``litellm_rs.drop_params = True``) and the next call uses them.
"""

import os as _os
import sys as _sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (type checkers take it as True)


def _env_flag(name: str) -> bool:
    return _os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


# ---------------------------------------------------------------------------------------------
# settings (litellm's names and defaults)
# ---------------------------------------------------------------------------------------------

# credentials and endpoint for every call
api_key = None
api_base = None
api_version = None
organization = None
headers = None
project = None

# per-provider credentials, used before environment variables
openai_key = None
groq_key = None
gigachat_key = None
xai_key = None
databricks_key = None
openai_like_key = None
azure_key = None
anthropic_key = None
replicate_key = None
bytez_key = None
gdc_key = None
gdc_api_base = None
cohere_key = None
infinity_key = None
clarifai_key = None
maritalk_key = None
ai21_key = None
ollama_key = None
openrouter_key = None
datarobot_key = None
predibase_key = None
huggingface_key = None
vertex_project = None
vertex_location = None
predibase_tenant_id = None
togetherai_api_key = None
cloudflare_api_key = None
vercel_ai_gateway_key = None
baseten_key = None
llama_api_key = None
aleph_alpha_key = None
nlp_cloud_key = None
novita_api_key = None
snowflake_key = None
gradient_ai_api_key = None
nebius_key = None
wandb_key = None
heroku_key = None
cometapi_key = None
ovhcloud_key = None
lemonade_key = None
sap_service_key = None
amazon_nova_api_key = None
inception_key = None

# request shaping
drop_params = _env_flag("LITELLM_DROP_PARAMS")
modify_params = _env_flag("LITELLM_MODIFY_PARAMS")
enable_json_schema_validation = False
return_response_headers = False
include_cost_in_streaming_usage = False
model_alias_map: dict = {}
AZURE_DEFAULT_API_VERSION = "2025-02-01-preview"
WATSONX_DEFAULT_API_VERSION = "2024-03-13"

# reliability
num_retries = None
max_fallbacks = None
allowed_fails = 3
model_fallbacks = None
fallbacks = None
context_window_fallbacks = None
content_policy_fallbacks = None
default_fallbacks = None
request_timeout = float(_os.environ.get("REQUEST_TIMEOUT", "6000"))

# transport
ssl_verify = True
ssl_certificate = None
use_litellm_proxy = False
use_aiohttp_transport = True
disable_aiohttp_transport = False
force_ipv4 = False
http2 = None
client_session = None
aclient_session = None
network_mock = False

# callbacks and logging
success_callback: list = []
failure_callback: list = []
input_callback: list = []
service_callback: list = []
callbacks: list = []
_async_success_callback: list = []
_async_failure_callback: list = []
_async_input_callback: list = []
pre_call_rules: list = []
post_call_rules: list = []
set_verbose = False
suppress_debug_info = False
json_logs = bool(_os.environ.get("JSON_LOGS"))
log_level = _os.environ.get("LITELLM_LOG", "DEBUG")
turn_off_message_logging = False
redact_messages_in_exceptions = False
log_raw_request_response = False
telemetry = False

# caching
cache = None

# budget (process-wide)
max_budget = 0.0
_current_cost = 0.0
budget_duration = None

# custom providers and credentials
custom_provider_map: list = []
credential_list: list = []
secret_manager_client = None

# per-provider settings that are set, kept up to date by the module's __setattr__ below, so a call
# reads one dict instead of ~45 attributes
_PROVIDER_SETTINGS = frozenset(
    (
        "openai_key", "groq_key", "gigachat_key", "xai_key", "databricks_key", "openai_like_key",
        "azure_key", "anthropic_key", "replicate_key", "bytez_key", "gdc_key", "gdc_api_base",
        "cohere_key", "infinity_key", "clarifai_key", "maritalk_key", "ai21_key", "ollama_key",
        "openrouter_key", "datarobot_key", "predibase_key", "huggingface_key", "vertex_project",
        "vertex_location", "predibase_tenant_id", "togetherai_api_key", "cloudflare_api_key",
        "vercel_ai_gateway_key", "baseten_key", "llama_api_key", "aleph_alpha_key", "nlp_cloud_key",
        "novita_api_key", "snowflake_key", "gradient_ai_api_key", "nebius_key", "wandb_key",
        "heroku_key", "cometapi_key", "ovhcloud_key", "lemonade_key", "sap_service_key",
        "amazon_nova_api_key", "inception_key",
    )
)  # fmt: skip
_provider_keys: dict = {}


def _track_setting(name: str, value: object) -> None:
    if name in _PROVIDER_SETTINGS:
        if value is None:
            _provider_keys.pop(name, None)
        else:
            _provider_keys[name] = value if type(value) is str else str(value)
    elif name == "set_verbose" and value:
        _turn_on_debug()
    elif name == "cache":
        from . import _core

        _core.set_cache(getattr(value, "_handle", None))


class _SettingsModule(type(_sys)):  # type: ignore[misc]
    """The package module: assignments to provider settings update ``_provider_keys``."""

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        _track_setting(name, value)

    def __delattr__(self, name: str) -> None:
        super().__delattr__(name)
        if name in _PROVIDER_SETTINGS:
            _provider_keys.pop(name, None)


_sys.modules[__name__].__class__ = _SettingsModule


def _turn_on_debug() -> None:
    """Turn on debug logging (litellm's helper of the same name)."""
    from ._logging import _turn_on_debug as turn_on

    turn_on()


if "LITELLM_LOG" in _os.environ:
    if log_level.upper() == "DEBUG":
        _turn_on_debug()
    else:
        from ._logging import _set_level

        _set_level(log_level)

# ---------------------------------------------------------------------------------------------
# call functions (import-light: no pydantic, no openai, no asyncio)
# ---------------------------------------------------------------------------------------------

from .main import (
    acompletion,
    aembedding,
    atext_completion,
    completion,
    embedding,
    get_llm_provider,
    get_supported_openai_params,
    mock_completion,
    stream_chunk_builder,
    text_completion,
)
from .streaming import CustomStreamWrapper, TextCompletionStreamWrapper

# ---------------------------------------------------------------------------------------------
# lazy names (PEP 562)
# ---------------------------------------------------------------------------------------------

_TYPE_NAMES = (
    "ModelResponse", "ModelResponseBase", "ModelResponseStream", "Choices", "StreamingChoices", "Message",
    "Delta", "Usage", "Function", "FunctionCall", "ChatCompletionMessageToolCall",
    "ChatCompletionDeltaToolCall", "ChatCompletionAudioResponse", "ChatCompletionTokenLogprob",
    "ChoiceLogprobs", "TopLogprob", "PromptTokensDetailsWrapper", "CompletionTokensDetailsWrapper",
    "ServerToolUse", "EmbeddingResponse", "Embedding", "TextCompletionResponse", "TextChoices", "Logprobs",
)  # fmt: skip
_EXCEPTION_NAMES = (
    "AuthenticationError", "NotFoundError", "BadRequestError", "ImageFetchError", "UnprocessableEntityError",
    "Timeout", "PermissionDeniedError", "RateLimitError", "ContextWindowExceededError", "RejectedRequestError",
    "ContentPolicyViolationError", "UnsupportedParamsError", "UnsupportedEndpointError",
    "MalformedRequestFieldError", "PaymentRequiredError", "LiteLLMUnknownProvider", "ServiceUnavailableError",
    "BadGatewayError", "InternalServerError", "MidStreamFallbackError", "APIError", "APIConnectionError",
    "APIResponseValidationError", "JSONSchemaValidationError", "OpenAIError", "InvalidRequestError",
    "MockException", "BudgetExceededError", "GuardrailRaisedException", "BlockedPiiEntityError",
    "GuardrailInterventionNormalStringError", "ModelNotMappedError", "LITELLM_EXCEPTION_TYPES",
)  # fmt: skip
_LAZY = {name: "types.utils" for name in _TYPE_NAMES}
_LAZY.update({name: "exceptions" for name in _EXCEPTION_NAMES})
_COST_NAMES = (
    "completion_cost", "cost_per_token", "get_model_info", "get_max_tokens", "register_model",
    "cheaper_alternatives", "supports_function_calling", "supports_parallel_function_calling", "supports_vision",
    "supports_response_schema", "supports_reasoning", "supports_prompt_caching", "supports_audio_input",
    "supports_audio_output", "supports_pdf_input", "supports_system_messages", "supports_web_search",
    "supports_tool_choice",
)  # fmt: skip
_LAZY.update({name: "cost" for name in _COST_NAMES})
_LAZY["provider_list"] = "main"
_LAZY.update({name: "tokens" for name in ("token_counter", "encode", "decode")})
_LAZY["flush_callbacks"] = "_callbacks"
_LAZY["BudgetManager"] = "budget_manager"
_LAZY["Cache"] = "caching"
_LAZY.update({name: "_cache_settings" for name in ("enable_cache", "update_cache", "disable_cache")})
_LAZY["SpendTracker"] = "budget_manager"
_LAZY["Router"] = "router"
_LAZY["verbose_logger"] = "_logging"
_LAZY["install_as_litellm"] = "_alias"
_LAZY.update({name: "constants" for name in ("OPENAI_CHAT_COMPLETION_PARAMS",)})
_LAZY.update(
    {
        name: "utils"
        for name in ("validate_environment", "get_optional_params", "get_secret", "get_secret_bool", "get_secret_str")
    }
)
_LAZY["print_verbose"] = "_logging"
_SUBMODULES = frozenset(
    (
        "types",
        "exceptions",
        "utils",
        "main",
        "streaming",
        "cost",
        "tokens",
        "integrations",
        "budget_manager",
        "router",
        "constants",
        "caching",
        "secret_managers",
        "litellm_core_utils",
        "alias",
    )
)


if TYPE_CHECKING:  # the lazy names, typed for type checkers (nothing is imported at run time)
    from ._alias import (
        install_as_litellm as install_as_litellm,
    )
    from ._cache_settings import (
        disable_cache as disable_cache,
    )
    from ._cache_settings import (
        enable_cache as enable_cache,
    )
    from ._cache_settings import (
        update_cache as update_cache,
    )
    from ._callbacks import (
        flush_callbacks as flush_callbacks,
    )
    from ._logging import (
        print_verbose as print_verbose,
    )
    from ._logging import (
        verbose_logger as verbose_logger,
    )
    from .budget_manager import (
        BudgetManager as BudgetManager,
    )
    from .budget_manager import (
        SpendTracker as SpendTracker,
    )
    from .caching import (
        Cache as Cache,
    )
    from .constants import (
        OPENAI_CHAT_COMPLETION_PARAMS as OPENAI_CHAT_COMPLETION_PARAMS,
    )
    from .cost import (
        cheaper_alternatives as cheaper_alternatives,
    )
    from .cost import (
        completion_cost as completion_cost,
    )
    from .cost import (
        cost_per_token as cost_per_token,
    )
    from .cost import (
        get_max_tokens as get_max_tokens,
    )
    from .cost import (
        get_model_info as get_model_info,
    )
    from .cost import (
        register_model as register_model,
    )
    from .cost import (
        supports_audio_input as supports_audio_input,
    )
    from .cost import (
        supports_audio_output as supports_audio_output,
    )
    from .cost import (
        supports_function_calling as supports_function_calling,
    )
    from .cost import (
        supports_parallel_function_calling as supports_parallel_function_calling,
    )
    from .cost import (
        supports_pdf_input as supports_pdf_input,
    )
    from .cost import (
        supports_prompt_caching as supports_prompt_caching,
    )
    from .cost import (
        supports_reasoning as supports_reasoning,
    )
    from .cost import (
        supports_response_schema as supports_response_schema,
    )
    from .cost import (
        supports_system_messages as supports_system_messages,
    )
    from .cost import (
        supports_tool_choice as supports_tool_choice,
    )
    from .cost import (
        supports_vision as supports_vision,
    )
    from .cost import (
        supports_web_search as supports_web_search,
    )
    from .exceptions import (
        LITELLM_EXCEPTION_TYPES as LITELLM_EXCEPTION_TYPES,
    )
    from .exceptions import (
        APIConnectionError as APIConnectionError,
    )
    from .exceptions import (
        APIError as APIError,
    )
    from .exceptions import (
        APIResponseValidationError as APIResponseValidationError,
    )
    from .exceptions import (
        AuthenticationError as AuthenticationError,
    )
    from .exceptions import (
        BadGatewayError as BadGatewayError,
    )
    from .exceptions import (
        BadRequestError as BadRequestError,
    )
    from .exceptions import (
        BlockedPiiEntityError as BlockedPiiEntityError,
    )
    from .exceptions import (
        BudgetExceededError as BudgetExceededError,
    )
    from .exceptions import (
        ContentPolicyViolationError as ContentPolicyViolationError,
    )
    from .exceptions import (
        ContextWindowExceededError as ContextWindowExceededError,
    )
    from .exceptions import (
        GuardrailInterventionNormalStringError as GuardrailInterventionNormalStringError,
    )
    from .exceptions import (
        GuardrailRaisedException as GuardrailRaisedException,
    )
    from .exceptions import (
        ImageFetchError as ImageFetchError,
    )
    from .exceptions import (
        InternalServerError as InternalServerError,
    )
    from .exceptions import (
        InvalidRequestError as InvalidRequestError,
    )
    from .exceptions import (
        JSONSchemaValidationError as JSONSchemaValidationError,
    )
    from .exceptions import (
        LiteLLMUnknownProvider as LiteLLMUnknownProvider,
    )
    from .exceptions import (
        MalformedRequestFieldError as MalformedRequestFieldError,
    )
    from .exceptions import (
        MidStreamFallbackError as MidStreamFallbackError,
    )
    from .exceptions import (
        MockException as MockException,
    )
    from .exceptions import (
        ModelNotMappedError as ModelNotMappedError,
    )
    from .exceptions import (
        NotFoundError as NotFoundError,
    )
    from .exceptions import (
        OpenAIError as OpenAIError,
    )
    from .exceptions import (
        PaymentRequiredError as PaymentRequiredError,
    )
    from .exceptions import (
        PermissionDeniedError as PermissionDeniedError,
    )
    from .exceptions import (
        RateLimitError as RateLimitError,
    )
    from .exceptions import (
        RejectedRequestError as RejectedRequestError,
    )
    from .exceptions import (
        ServiceUnavailableError as ServiceUnavailableError,
    )
    from .exceptions import (
        Timeout as Timeout,
    )
    from .exceptions import (
        UnprocessableEntityError as UnprocessableEntityError,
    )
    from .exceptions import (
        UnsupportedEndpointError as UnsupportedEndpointError,
    )
    from .exceptions import (
        UnsupportedParamsError as UnsupportedParamsError,
    )
    from .router import (
        Router as Router,
    )
    from .tokens import (
        decode as decode,
    )
    from .tokens import (
        encode as encode,
    )
    from .tokens import (
        token_counter as token_counter,
    )
    from .types.utils import (
        ChatCompletionAudioResponse as ChatCompletionAudioResponse,
    )
    from .types.utils import (
        ChatCompletionDeltaToolCall as ChatCompletionDeltaToolCall,
    )
    from .types.utils import (
        ChatCompletionMessageToolCall as ChatCompletionMessageToolCall,
    )
    from .types.utils import (
        ChatCompletionTokenLogprob as ChatCompletionTokenLogprob,
    )
    from .types.utils import (
        ChoiceLogprobs as ChoiceLogprobs,
    )
    from .types.utils import (
        Choices as Choices,
    )
    from .types.utils import (
        CompletionTokensDetailsWrapper as CompletionTokensDetailsWrapper,
    )
    from .types.utils import (
        Delta as Delta,
    )
    from .types.utils import (
        Embedding as Embedding,
    )
    from .types.utils import (
        EmbeddingResponse as EmbeddingResponse,
    )
    from .types.utils import (
        Function as Function,
    )
    from .types.utils import (
        FunctionCall as FunctionCall,
    )
    from .types.utils import (
        Logprobs as Logprobs,
    )
    from .types.utils import (
        Message as Message,
    )
    from .types.utils import (
        ModelResponse as ModelResponse,
    )
    from .types.utils import (
        ModelResponseBase as ModelResponseBase,
    )
    from .types.utils import (
        ModelResponseStream as ModelResponseStream,
    )
    from .types.utils import (
        PromptTokensDetailsWrapper as PromptTokensDetailsWrapper,
    )
    from .types.utils import (
        ServerToolUse as ServerToolUse,
    )
    from .types.utils import (
        StreamingChoices as StreamingChoices,
    )
    from .types.utils import (
        TextChoices as TextChoices,
    )
    from .types.utils import (
        TextCompletionResponse as TextCompletionResponse,
    )
    from .types.utils import (
        TopLogprob as TopLogprob,
    )
    from .types.utils import (
        Usage as Usage,
    )
    from .utils import (
        get_optional_params as get_optional_params,
    )
    from .utils import (
        get_secret as get_secret,
    )
    from .utils import (
        get_secret_bool as get_secret_bool,
    )
    from .utils import (
        get_secret_str as get_secret_str,
    )
    from .utils import (
        validate_environment as validate_environment,
    )

    provider_list: list[str]
    model_list: list[str]
    model_cost: dict[str, dict]
    __version__: str


def __getattr__(name: str) -> object:
    where = _LAZY.get(name)
    if where is not None:
        from importlib import import_module

        value = getattr(import_module("." + where, __name__), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        from importlib import import_module

        return import_module("." + name, __name__)
    if name == "model_cost":  # litellm's map as a dict, built on first access
        from .cost import _model_cost

        return _model_cost()
    if name == "model_list":  # every model name of the model map, as litellm lists them
        from .cost import _model_cost

        value = [name for name in _model_cost() if name != "sample_spec"]
        globals()["model_list"] = value
        return value
    if name == "__version__":
        from ._core import __version__ as value

        globals()["__version__"] = value
        return value
    if globals().get("_installed_as_litellm"):
        raise AttributeError(
            f"module 'litellm' (litellm_rs, installed as litellm) has no attribute {name!r}: "
            "litellm_rs does not provide it"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES | {"__version__", "model_cost", "model_list"})


__all__ = [  # noqa: RUF022 - grouped: calls, types, exceptions, settings
    "completion",
    "acompletion",
    "text_completion",
    "atext_completion",
    "embedding",
    "aembedding",
    "stream_chunk_builder",
    "get_llm_provider",
    "get_supported_openai_params",
    "mock_completion",
    "provider_list",
    "install_as_litellm",
    "validate_environment",
    "get_optional_params",
    "get_secret",
    "get_secret_bool",
    "get_secret_str",
    "OPENAI_CHAT_COMPLETION_PARAMS",
    "token_counter",
    "encode",
    "decode",
    "completion_cost",
    "cost_per_token",
    "get_model_info",
    "get_max_tokens",
    "register_model",
    "BudgetManager",
    "SpendTracker",
    "Router",
    "flush_callbacks",
    "model_cost",
    "cheaper_alternatives",
    "supports_function_calling",
    "supports_parallel_function_calling",
    "supports_vision",
    "supports_response_schema",
    "supports_reasoning",
    "supports_prompt_caching",
    "supports_audio_input",
    "supports_audio_output",
    "supports_pdf_input",
    "supports_system_messages",
    "supports_web_search",
    "supports_tool_choice",
    "CustomStreamWrapper",
    "TextCompletionStreamWrapper",
    "ModelResponse",
    "ModelResponseBase",
    "ModelResponseStream",
    "Choices",
    "StreamingChoices",
    "Message",
    "Delta",
    "Usage",
    "Function",
    "FunctionCall",
    "ChatCompletionMessageToolCall",
    "ChatCompletionDeltaToolCall",
    "ChatCompletionAudioResponse",
    "ChatCompletionTokenLogprob",
    "ChoiceLogprobs",
    "TopLogprob",
    "PromptTokensDetailsWrapper",
    "CompletionTokensDetailsWrapper",
    "ServerToolUse",
    "EmbeddingResponse",
    "Embedding",
    "TextCompletionResponse",
    "TextChoices",
    "Logprobs",
    "AuthenticationError",
    "NotFoundError",
    "BadRequestError",
    "ImageFetchError",
    "UnprocessableEntityError",
    "Timeout",
    "PermissionDeniedError",
    "RateLimitError",
    "ContextWindowExceededError",
    "RejectedRequestError",
    "ContentPolicyViolationError",
    "UnsupportedParamsError",
    "UnsupportedEndpointError",
    "MalformedRequestFieldError",
    "PaymentRequiredError",
    "LiteLLMUnknownProvider",
    "ServiceUnavailableError",
    "BadGatewayError",
    "InternalServerError",
    "MidStreamFallbackError",
    "APIError",
    "APIConnectionError",
    "APIResponseValidationError",
    "JSONSchemaValidationError",
    "OpenAIError",
    "InvalidRequestError",
    "MockException",
    "BudgetExceededError",
    "GuardrailRaisedException",
    "BlockedPiiEntityError",
    "GuardrailInterventionNormalStringError",
    "ModelNotMappedError",
    "LITELLM_EXCEPTION_TYPES",
    "api_key",
    "api_base",
    "api_version",
    "organization",
    "headers",
    "drop_params",
    "modify_params",
    "num_retries",
    "request_timeout",
    "set_verbose",
    "suppress_debug_info",
    "json_logs",
    "log_level",
    "success_callback",
    "failure_callback",
    "input_callback",
    "service_callback",
    "callbacks",
    "cache",
    "model_alias_map",
    "model_fallbacks",
    "fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "default_fallbacks",
    "max_budget",
    "budget_duration",
    "turn_off_message_logging",
    "redact_messages_in_exceptions",
    "return_response_headers",
    "include_cost_in_streaming_usage",
    "enable_json_schema_validation",
    "ssl_verify",
    "use_litellm_proxy",
    "telemetry",
    "AZURE_DEFAULT_API_VERSION",
    "ai21_key",
    "aleph_alpha_key",
    "amazon_nova_api_key",
    "anthropic_key",
    "azure_key",
    "baseten_key",
    "bytez_key",
    "clarifai_key",
    "cloudflare_api_key",
    "cohere_key",
    "cometapi_key",
    "databricks_key",
    "datarobot_key",
    "gdc_api_base",
    "gdc_key",
    "gigachat_key",
    "gradient_ai_api_key",
    "groq_key",
    "heroku_key",
    "huggingface_key",
    "inception_key",
    "infinity_key",
    "lemonade_key",
    "llama_api_key",
    "maritalk_key",
    "nebius_key",
    "nlp_cloud_key",
    "novita_api_key",
    "ollama_key",
    "openai_key",
    "openai_like_key",
    "openrouter_key",
    "ovhcloud_key",
    "predibase_key",
    "predibase_tenant_id",
    "replicate_key",
    "sap_service_key",
    "snowflake_key",
    "togetherai_api_key",
    "vercel_ai_gateway_key",
    "vertex_location",
    "vertex_project",
    "wandb_key",
    "xai_key",
]
