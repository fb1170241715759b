//! The table of OpenAI-compatible providers: one [`Row`] per provider whose wire format is OpenAI
//! chat completions and which differs only in base URL, key variables, auth header or parameter
//! quirks.
//!
//! Facts come from litellm's own sources (`litellm/constants.py`,
//! `litellm/litellm_core_utils/get_llm_provider_logic.py`, each provider's
//! `litellm/llms/<provider>/chat/transformation.py`, `litellm/llms/openai_like/providers.json`)
//! and, where a row says so, from the provider's own documentation. The comment above each row
//! names its source.
//!
//! Conventions:
//! - `base_url` has no trailing slash and no endpoint path; the engine appends `/chat/completions`,
//!   `/completions` or `/embeddings`. The one exception is `text-completion-codestral`, whose
//!   completion path is `/fim/completions` (the `FIM_COMPLETIONS` quirk).
//! - `key_env` / `base_env` list the variables in the order litellm tries them.
//! - `hosts` are litellm's `openai_compatible_endpoints` entries (scheme and trailing slash removed)
//!   that litellm maps to the row's provider.
//! - `unsupported` only lists parameters a source says the provider rejects or does not take.

use super::row::{Auth, Row, quirk::*};

/// `max_completion_tokens` is sent as `max_tokens` (litellm's most common mapping).
const MCT_TO_MAX_TOKENS: &[(&str, &str)] = &[("max_completion_tokens", "max_tokens")];

/// Every OpenAI-compatible provider, `openai` first.
pub static ROWS: &[Row] = &[
    // litellm main.py openai branch (OPENAI_BASE_URL, OPENAI_API_BASE, OPENAI_API_KEY, litellm.openai_key)
    Row {
        id: "openai",
        base_url: "https://api.openai.com/v1",
        key_env: &["OPENAI_API_KEY"],
        base_env: &["OPENAI_BASE_URL", "OPENAI_API_BASE"],
        settings_key: Some("openai_key"),
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: TEXT_COMPLETIONS | EMBEDDINGS,
    },
    // litellm main.py (custom_openai shares the openai branch; here the base must be given)
    Row {
        id: "custom_openai",
        base_url: "",
        key_env: &["OPENAI_API_KEY"],
        base_env: &["OPENAI_BASE_URL", "OPENAI_API_BASE"],
        settings_key: Some("openai_key"),
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: EMBEDDINGS | KEY_OPTIONAL,
    },
    // litellm OpenAILikeChatConfig (OPENAI_LIKE_API_BASE/KEY, max_completion_tokens -> max_tokens) + openai_like embedding handler
    Row {
        id: "openai_like",
        base_url: "",
        key_env: &["OPENAI_LIKE_API_KEY"],
        base_env: &["OPENAI_LIKE_API_BASE"],
        settings_key: Some("openai_like_key"),
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: EMBEDDINGS | KEY_OPTIONAL,
    },
    // litellm main.py text-completion-openai branch (legacy /completions only)
    Row {
        id: "text-completion-openai",
        base_url: "https://api.openai.com/v1",
        key_env: &["OPENAI_API_KEY"],
        base_env: &["OPENAI_BASE_URL", "OPENAI_API_BASE"],
        settings_key: Some("openai_key"),
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: TEXT_COMPLETIONS,
    },
    // litellm LiteLLMProxyChatConfig (LITELLM_PROXY_API_BASE/KEY); the proxy serves the whole OpenAI surface
    Row {
        id: "litellm_proxy",
        base_url: "",
        key_env: &["LITELLM_PROXY_API_KEY"],
        base_env: &["LITELLM_PROXY_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: TEXT_COMPLETIONS | EMBEDDINGS,
    },
    // litellm GroqChatConfig (keeps max_completion_tokens) + console.groq.com/docs/openai (logprobs, logit_bias, top_logprobs, messages[].name rejected)
    Row {
        id: "groq",
        base_url: "https://api.groq.com/openai/v1",
        key_env: &["GROQ_API_KEY"],
        base_env: &["GROQ_API_BASE"],
        settings_key: Some("groq_key"),
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &["logprobs", "logit_bias", "top_logprobs"],
        headers: &[],
        hosts: &["api.groq.com/openai/v1"],
        quirks: STRIP_MESSAGE_NAME,
    },
    // litellm get_llm_provider_logic (DEEPSEEK_API_BASE, default /beta) + DeepSeekChatConfig (text content lists collapsed)
    Row {
        id: "deepseek",
        base_url: "https://api.deepseek.com/beta",
        key_env: &["DEEPSEEK_API_KEY"],
        base_env: &["DEEPSEEK_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &["api.deepseek.com/v1"],
        quirks: CONTENT_LIST_TO_STRING,
    },
    // litellm MistralConfig (required -> any, seed -> random_seed, names dropped, text lists flattened) + docs.mistral.ai API reference
    Row {
        id: "mistral",
        base_url: "https://api.mistral.ai/v1",
        key_env: &["MISTRAL_AZURE_API_KEY", "MISTRAL_API_KEY"],
        base_env: &["MISTRAL_AZURE_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[("max_completion_tokens", "max_tokens"), ("seed", "random_seed")],
        unsupported: &["logit_bias", "logprobs", "top_logprobs"],
        headers: &[],
        hosts: &["api.mistral.ai/v1"],
        quirks: TOOL_CHOICE_REQUIRED_AS_ANY
            | CONTENT_LIST_TO_STRING
            | STRIP_MESSAGE_NAME
            | NO_STREAM_OPTIONS
            | EMBEDDINGS,
    },
    // litellm get_llm_provider_logic (CODESTRAL_API_BASE/KEY); params mapped by MistralConfig
    Row {
        id: "codestral",
        base_url: "https://codestral.mistral.ai/v1",
        key_env: &["CODESTRAL_API_KEY"],
        base_env: &["CODESTRAL_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[("max_completion_tokens", "max_tokens"), ("seed", "random_seed")],
        unsupported: &["logit_bias", "logprobs", "top_logprobs"],
        headers: &[],
        hosts: &["codestral.mistral.ai/v1/chat/completions"],
        quirks: TOOL_CHOICE_REQUIRED_AS_ANY | NO_STREAM_OPTIONS,
    },
    // litellm CodestralTextCompletionConfig + main.py (CODESTRAL_API_KEY)
    // Codestral's completion path is `/fim/completions` (FIM_COMPLETIONS).
    Row {
        id: "text-completion-codestral",
        base_url: "https://codestral.mistral.ai/v1",
        key_env: &["CODESTRAL_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[("max_completion_tokens", "max_tokens"), ("seed", "random_seed")],
        unsupported: &[],
        headers: &[],
        hosts: &["codestral.mistral.ai/v1/fim/completions"],
        quirks: TEXT_COMPLETIONS | FIM_COMPLETIONS,
    },
    // litellm XAIChatConfig (XAI_API_BASE/KEY, max_completion_tokens -> max_tokens, strip_name_from_messages)
    Row {
        id: "xai",
        base_url: "https://api.x.ai/v1",
        key_env: &["XAI_API_KEY"],
        base_env: &["XAI_API_BASE"],
        settings_key: Some("xai_key"),
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.x.ai/v1"],
        quirks: STRIP_MESSAGE_NAME,
    },
    // litellm main.py openrouter branch (OPENROUTER_API_KEY, OR_API_KEY, OR_SITE_URL/OR_APP_NAME defaults) + openrouter common_utils (OPENROUTER_API_BASE)
    Row {
        id: "openrouter",
        base_url: "https://openrouter.ai/api/v1",
        key_env: &["OPENROUTER_API_KEY", "OR_API_KEY"],
        base_env: &["OPENROUTER_API_BASE"],
        settings_key: Some("openrouter_key"),
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[("HTTP-Referer", "https://litellm.ai"), ("X-Title", "liteLLM")],
        hosts: &[],
        quirks: EMBEDDINGS | USAGE_INCLUDE,
    },
    // litellm DeepInfraConfig (DEEPINFRA_API_BASE/KEY, max_completion_tokens -> max_tokens) + deepinfra.com/docs/advanced/openai_api
    Row {
        id: "deepinfra",
        base_url: "https://api.deepinfra.com/v1/openai",
        key_env: &["DEEPINFRA_API_KEY"],
        base_env: &["DEEPINFRA_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.deepinfra.com/v1/openai"],
        quirks: TEXT_COMPLETIONS | EMBEDDINGS,
    },
    // litellm get_llm_provider_logic (TOGETHER_AI_API_BASE, four key names) + constants.openai_text_completion_compatible_providers
    Row {
        id: "together_ai",
        base_url: "https://api.together.xyz/v1",
        key_env: &["TOGETHER_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHERAI_API_KEY", "TOGETHER_AI_TOKEN"],
        base_env: &["TOGETHER_AI_API_BASE"],
        settings_key: Some("togetherai_api_key"),
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &["api.together.xyz/v1"],
        quirks: TEXT_COMPLETIONS | EMBEDDINGS,
    },
    // litellm FireworksAIConfig (FIREWORKS_API_BASE, four key names, required -> any, max_completion_tokens -> max_tokens)
    Row {
        id: "fireworks_ai",
        base_url: "https://api.fireworks.ai/inference/v1",
        key_env: &["FIREWORKS_API_KEY", "FIREWORKS_AI_API_KEY", "FIREWORKSAI_API_KEY", "FIREWORKS_AI_TOKEN"],
        base_env: &["FIREWORKS_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: TOOL_CHOICE_REQUIRED_AS_ANY | TEXT_COMPLETIONS | EMBEDDINGS,
    },
    // litellm PerplexityChatConfig (PERPLEXITY_API_BASE, PERPLEXITYAI_API_KEY/PERPLEXITY_API_KEY; no tools per docs.perplexity.ai)
    Row {
        id: "perplexity",
        base_url: "https://api.perplexity.ai",
        key_env: &["PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"],
        base_env: &["PERPLEXITY_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &["tools", "tool_choice", "functions", "function_call"],
        headers: &[],
        hosts: &["api.perplexity.ai"],
        quirks: NO_STREAM_OPTIONS,
    },
    // litellm MoonshotChatConfig (MOONSHOT_API_BASE/KEY, no `functions`, text lists flattened)
    Row {
        id: "moonshot",
        base_url: "https://api.moonshot.ai/v1",
        key_env: &["MOONSHOT_API_KEY"],
        base_env: &["MOONSHOT_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &["functions"],
        headers: &[],
        hosts: &["api.moonshot.ai/v1"],
        quirks: CONTENT_LIST_TO_STRING | TEXT_COMPLETIONS,
    },
    // litellm get_llm_provider_logic (LLAMA_API_BASE/KEY) + LlamaAPIConfig
    Row {
        id: "meta_llama",
        base_url: "https://api.llama.com/compat/v1",
        key_env: &["LLAMA_API_KEY"],
        base_env: &["LLAMA_API_BASE"],
        settings_key: Some("llama_api_key"),
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &["api.llama.com/compat/v1"],
        quirks: TEXT_COMPLETIONS,
    },
    // litellm CerebrasConfig + inference-docs.cerebras.ai OpenAI compatibility (unsupported fields)
    Row {
        id: "cerebras",
        base_url: "https://api.cerebras.ai/v1",
        key_env: &["CEREBRAS_API_KEY"],
        base_env: &["CEREBRAS_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &["frequency_penalty", "logit_bias", "presence_penalty", "parallel_tool_calls", "service_tier"],
        headers: &[],
        hosts: &["api.cerebras.ai/v1"],
        quirks: 0,
    },
    // litellm SambanovaConfig (SAMBANOVA_API_BASE/KEY, content lists flattened, X-Integration-Source header)
    Row {
        id: "sambanova",
        base_url: "https://api.sambanova.ai/v1",
        key_env: &["SAMBANOVA_API_KEY"],
        base_env: &["SAMBANOVA_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[("X-Integration-Source", "litellm")],
        hosts: &["api.sambanova.ai/v1"],
        quirks: CONTENT_LIST_TO_STRING,
    },
    // litellm get_llm_provider_logic (NVIDIA_NIM_API_BASE/KEY) + NvidiaNimConfig
    Row {
        id: "nvidia_nim",
        base_url: "https://integrate.api.nvidia.com/v1",
        key_env: &["NVIDIA_NIM_API_KEY"],
        base_env: &["NVIDIA_NIM_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["integrate.api.nvidia.com/v1"],
        quirks: 0,
    },
    // litellm get_llm_provider_logic (GITHUB_API_BASE/KEY, default models.inference.ai.azure.com) + GithubChatConfig (OpenAILikeChatConfig)
    Row {
        id: "github",
        base_url: "https://models.inference.ai.azure.com",
        key_env: &["GITHUB_API_KEY"],
        base_env: &["GITHUB_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm V0ChatConfig (V0_API_BASE/KEY, OpenAILikeChatConfig)
    Row {
        id: "v0",
        base_url: "https://api.v0.dev/v1",
        key_env: &["V0_API_KEY"],
        base_env: &["V0_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.v0.dev/v1"],
        quirks: TEXT_COMPLETIONS,
    },
    // Cloudflare Workers AI OpenAI-compatible endpoints docs; litellm main.py (CLOUDFLARE_API_KEY, CLOUDFLARE_ACCOUNT_ID, litellm.cloudflare_api_key)
    Row {
        id: "cloudflare",
        base_url: "https://api.cloudflare.com/client/v4/accounts/{CLOUDFLARE_ACCOUNT_ID}/ai/v1",
        key_env: &["CLOUDFLARE_API_KEY"],
        base_env: &["CLOUDFLARE_API_BASE"],
        settings_key: Some("cloudflare_api_key"),
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: EMBEDDINGS,
    },
    // litellm DatabricksConfig (DATABRICKS_API_BASE/KEY, OpenAILikeChatConfig rename) + databricks embeddings
    Row {
        id: "databricks",
        base_url: "",
        key_env: &["DATABRICKS_API_KEY"],
        base_env: &["DATABRICKS_API_BASE"],
        settings_key: Some("databricks_key"),
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: EMBEDDINGS,
    },
    // litellm get_llm_provider_logic (ANYSCALE_API_BASE/KEY)
    Row {
        id: "anyscale",
        base_url: "https://api.endpoints.anyscale.com/v1",
        key_env: &["ANYSCALE_API_KEY"],
        base_env: &["ANYSCALE_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &["api.endpoints.anyscale.com/v1"],
        quirks: 0,
    },
    // litellm get_llm_provider_logic (NEBIUS_API_BASE/KEY) + NebiusConfig
    Row {
        id: "nebius",
        base_url: "https://api.studio.nebius.ai/v1",
        key_env: &["NEBIUS_API_KEY"],
        base_env: &["NEBIUS_API_BASE"],
        settings_key: Some("nebius_key"),
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.studio.nebius.ai/v1"],
        quirks: TEXT_COMPLETIONS | EMBEDDINGS,
    },
    // litellm get_llm_provider_logic (NOVITA_API_BASE/KEY) + NovitaConfig (X-Novita-Source header)
    Row {
        id: "novita",
        base_url: "https://api.novita.ai/v3/openai",
        key_env: &["NOVITA_API_KEY"],
        base_env: &["NOVITA_API_BASE"],
        settings_key: Some("novita_api_key"),
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[("X-Novita-Source", "litellm")],
        hosts: &[],
        quirks: EMBEDDINGS,
    },
    // litellm HyperbolicChatConfig (HYPERBOLIC_API_BASE/KEY, OpenAILikeChatConfig)
    Row {
        id: "hyperbolic",
        base_url: "https://api.hyperbolic.xyz/v1",
        key_env: &["HYPERBOLIC_API_KEY"],
        base_env: &["HYPERBOLIC_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.hyperbolic.xyz/v1"],
        quirks: TEXT_COMPLETIONS,
    },
    // litellm LambdaAIChatConfig (LAMBDA_API_BASE/KEY, OpenAILikeChatConfig)
    Row {
        id: "lambda_ai",
        base_url: "https://api.lambda.ai/v1",
        key_env: &["LAMBDA_API_KEY"],
        base_env: &["LAMBDA_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.lambda.ai/v1"],
        quirks: TEXT_COMPLETIONS,
    },
    // litellm DashScopeChatConfig (DASHSCOPE_API_BASE/KEY, content lists flattened)
    Row {
        id: "dashscope",
        base_url: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        key_env: &["DASHSCOPE_API_KEY"],
        base_env: &["DASHSCOPE_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &["dashscope-intl.aliyuncs.com/compatible-mode/v1"],
        quirks: CONTENT_LIST_TO_STRING | TEXT_COMPLETIONS,
    },
    // litellm FeatherlessAIConfig (FEATHERLESS_API_BASE/KEY) + get_llm_provider_logic host match (FEATHERLESS_AI_API_KEY)
    Row {
        id: "featherless_ai",
        base_url: "https://api.featherless.ai/v1",
        key_env: &["FEATHERLESS_API_KEY", "FEATHERLESS_AI_API_KEY"],
        base_env: &["FEATHERLESS_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.featherless.ai/v1"],
        quirks: TEXT_COMPLETIONS,
    },
    // litellm NscaleConfig (NSCALE_API_BASE/KEY)
    Row {
        id: "nscale",
        base_url: "https://inference.api.nscale.com/v1",
        key_env: &["NSCALE_API_KEY"],
        base_env: &["NSCALE_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &["inference.api.nscale.com/v1"],
        quirks: 0,
    },
    // litellm VercelAIGatewayConfig (VERCEL_AI_GATEWAY_API_BASE, VERCEL_AI_GATEWAY_API_KEY/VERCEL_OIDC_TOKEN)
    Row {
        id: "vercel_ai_gateway",
        base_url: "https://ai-gateway.vercel.sh/v1",
        key_env: &["VERCEL_AI_GATEWAY_API_KEY", "VERCEL_OIDC_TOKEN"],
        base_env: &["VERCEL_AI_GATEWAY_API_BASE"],
        settings_key: Some("vercel_ai_gateway_key"),
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &["ai-gateway.vercel.sh/v1"],
        quirks: EMBEDDINGS,
    },
    // litellm ZAIChatConfig (ZAI_API_BASE/KEY)
    Row {
        id: "zai",
        base_url: "https://api.z.ai/api/paas/v4",
        key_env: &["ZAI_API_KEY"],
        base_env: &["ZAI_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm get_llm_provider_logic (AI21_API_BASE/KEY) + AI21ChatConfig (OpenAILikeChatConfig)
    Row {
        id: "ai21_chat",
        base_url: "https://api.ai21.com/studio/v1",
        key_env: &["AI21_API_KEY"],
        base_env: &["AI21_API_BASE"],
        settings_key: Some("ai21_key"),
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.ai21.com/studio/v1"],
        quirks: 0,
    },
    // litellm get_llm_provider_logic (VOLCENGINE_API_BASE/KEY) + VolcEngineChatConfig (OpenAILikeChatConfig)
    Row {
        id: "volcengine",
        base_url: "https://ark.cn-beijing.volces.com/api/v3",
        key_env: &["VOLCENGINE_API_KEY"],
        base_env: &["VOLCENGINE_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: EMBEDDINGS,
    },
    // litellm get_llm_provider_logic (FRIENDLI_API_BASE, FRIENDLIAI_API_KEY/FRIENDLI_TOKEN); inference.friendli.ai/v1 is Friendli's older host
    Row {
        id: "friendliai",
        base_url: "https://api.friendli.ai/serverless/v1",
        key_env: &["FRIENDLIAI_API_KEY", "FRIENDLI_TOKEN"],
        base_env: &["FRIENDLI_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &["api.friendli.ai/serverless/v1", "inference.friendli.ai/v1"],
        quirks: 0,
    },
    // litellm get_llm_provider_logic (GALADRIEL_API_BASE/KEY; endpoint list spells the host .ai, the default base .com)
    Row {
        id: "galadriel",
        base_url: "https://api.galadriel.com/v1",
        key_env: &["GALADRIEL_API_KEY"],
        base_env: &["GALADRIEL_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &["api.galadriel.com/v1", "api.galadriel.ai/v1"],
        quirks: 0,
    },
    // litellm get_llm_provider_logic (EMPOWER_API_BASE/KEY)
    Row {
        id: "empower",
        base_url: "https://app.empower.dev/api/v1",
        key_env: &["EMPOWER_API_KEY"],
        base_env: &["EMPOWER_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &["app.empower.dev/api/v1"],
        quirks: 0,
    },
    // litellm MorphChatConfig (MORPH_API_BASE/KEY, OpenAILikeChatConfig)
    Row {
        id: "morph",
        base_url: "https://api.morphllm.com/v1",
        key_env: &["MORPH_API_KEY"],
        base_env: &["MORPH_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.morphllm.com/v1"],
        quirks: 0,
    },
    // litellm get_llm_provider_logic (WANDB_API_BASE/KEY) + WandbConfig
    Row {
        id: "wandb",
        base_url: "https://api.inference.wandb.ai/v1",
        key_env: &["WANDB_API_KEY"],
        base_env: &["WANDB_API_BASE"],
        settings_key: Some("wandb_key"),
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.inference.wandb.ai/v1"],
        quirks: TEXT_COMPLETIONS,
    },
    // litellm HostedVLLMChatConfig (HOSTED_VLLM_API_BASE/KEY, key optional) + vLLM OpenAI server (/completions, /embeddings)
    Row {
        id: "hosted_vllm",
        base_url: "",
        key_env: &["HOSTED_VLLM_API_KEY"],
        base_env: &["HOSTED_VLLM_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: KEY_OPTIONAL | TEXT_COMPLETIONS | EMBEDDINGS,
    },
    // litellm LMStudioChatConfig (LM_STUDIO_API_BASE/KEY) + LM Studio docs (default port 1234, /v1/completions, /v1/embeddings)
    Row {
        id: "lm_studio",
        base_url: "http://localhost:1234/v1",
        key_env: &["LM_STUDIO_API_KEY"],
        base_env: &["LM_STUDIO_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: KEY_OPTIONAL | TEXT_COMPLETIONS | EMBEDDINGS,
    },
    // litellm LlamafileChatConfig (LLAMAFILE_API_BASE/KEY, default 127.0.0.1:8080/v1)
    Row {
        id: "llamafile",
        base_url: "http://127.0.0.1:8080/v1",
        key_env: &["LLAMAFILE_API_KEY"],
        base_env: &["LLAMAFILE_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: KEY_OPTIONAL | TEXT_COMPLETIONS | EMBEDDINGS,
    },
    // litellm DockerModelRunnerChatConfig (DOCKER_MODEL_RUNNER_API_BASE/KEY, {base}/v1/chat/completions, text lists flattened)
    // litellm's DOCKER_MODEL_RUNNER_API_BASE excludes the trailing `/v1` (it appends `/v1/chat/completions`).
    Row {
        id: "docker_model_runner",
        base_url: "http://localhost:22088/engines/llama.cpp/v1",
        key_env: &["DOCKER_MODEL_RUNNER_API_KEY"],
        base_env: &["DOCKER_MODEL_RUNNER_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: KEY_OPTIONAL | CONTENT_LIST_TO_STRING | TEXT_COMPLETIONS | EMBEDDINGS,
    },
    // litellm providers.json + /completions per constants.openai_text_completion_compatible_providers; host from constants.openai_compatible_endpoints
    Row {
        id: "publicai",
        base_url: "https://api.publicai.co/v1",
        key_env: &["PUBLICAI_API_KEY"],
        base_env: &["PUBLICAI_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.publicai.co/v1"],
        quirks: CONTENT_LIST_TO_STRING | TEXT_COMPLETIONS,
    },
    // litellm providers.json + host from constants.openai_compatible_endpoints
    Row {
        id: "helicone",
        base_url: "https://ai-gateway.helicone.ai",
        key_env: &["HELICONE_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &["ai-gateway.helicone.ai"],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "veniceai",
        base_url: "https://api.venice.ai/api/v1",
        key_env: &["VENICE_AI_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "xiaomi_mimo",
        base_url: "https://api.xiaomimimo.com/v1",
        key_env: &["XIAOMI_MIMO_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json + /embeddings per supported_endpoints / provider_endpoints_support.json
    Row {
        id: "scaleway",
        base_url: "https://api.scaleway.ai/v1",
        key_env: &["SCW_SECRET_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: EMBEDDINGS,
    },
    // litellm providers.json + /completions per constants.openai_text_completion_compatible_providers; host from constants.openai_compatible_endpoints
    Row {
        id: "synthetic",
        base_url: "https://api.synthetic.new/openai/v1",
        key_env: &["SYNTHETIC_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.synthetic.new/openai/v1"],
        quirks: TEXT_COMPLETIONS,
    },
    // litellm providers.json + /completions per constants.openai_text_completion_compatible_providers; host from constants.openai_compatible_endpoints
    Row {
        id: "apertis",
        base_url: "https://api.stima.tech/v1",
        key_env: &["STIMA_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.stima.tech/v1"],
        quirks: TEXT_COMPLETIONS,
    },
    // litellm providers.json + /completions per constants.openai_text_completion_compatible_providers; host from constants.openai_compatible_endpoints
    Row {
        id: "nano-gpt",
        base_url: "https://nano-gpt.com/api/v1",
        key_env: &["NANOGPT_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["nano-gpt.com/api/v1"],
        quirks: TEXT_COMPLETIONS,
    },
    // litellm providers.json + /completions per constants.openai_text_completion_compatible_providers; host from constants.openai_compatible_endpoints
    Row {
        id: "poe",
        base_url: "https://api.poe.com/v1",
        key_env: &["POE_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["api.poe.com/v1"],
        quirks: TEXT_COMPLETIONS,
    },
    // litellm providers.json
    Row {
        id: "zerogpu",
        base_url: "https://api.zerogpu.ai/v1",
        key_env: &["ZEROGPU_API_KEY"],
        base_env: &["ZEROGPU_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json + /completions per constants.openai_text_completion_compatible_providers; host from constants.openai_compatible_endpoints
    Row {
        id: "chutes",
        base_url: "https://llm.chutes.ai/v1",
        key_env: &["CHUTES_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &["llm.chutes.ai/v1"],
        quirks: TEXT_COMPLETIONS,
    },
    // litellm providers.json
    Row {
        id: "abliteration",
        base_url: "https://api.abliteration.ai/v1",
        key_env: &["ABLITERATION_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json + /embeddings per supported_endpoints / provider_endpoints_support.json
    Row {
        id: "llamagate",
        base_url: "https://api.llamagate.dev/v1",
        key_env: &["LLAMAGATE_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: EMBEDDINGS,
    },
    // litellm providers.json
    Row {
        id: "gmi",
        base_url: "https://api.gmi-serving.com/v1",
        key_env: &["GMI_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "sarvam",
        base_url: "https://api.sarvam.ai/v1",
        key_env: &["SARVAM_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Header("api-subscription-key"),
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "assemblyai",
        base_url: "https://llm-gateway.assemblyai.com/v1",
        key_env: &["ASSEMBLYAI_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "charity_engine",
        base_url: "https://api.charityengine.services/remotejobs/v2/inference",
        key_env: &["CHARITY_ENGINE_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "aihubmix",
        base_url: "https://aihubmix.com/v1",
        key_env: &["AIHUBMIX_API_KEY"],
        base_env: &["AIHUBMIX_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "aiand",
        base_url: "https://api.aiand.com/v1",
        key_env: &["AIAND_API_KEY"],
        base_env: &["AIAND_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "crusoe",
        base_url: "https://api.inference.crusoecloud.com/v1",
        key_env: &["CRUSOE_API_KEY"],
        base_env: &["CRUSOE_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "darkbloom",
        base_url: "https://api.darkbloom.dev/v1",
        key_env: &["DARKBLOOM_API_KEY"],
        base_env: &["DARKBLOOM_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "neosantara",
        base_url: "https://api.neosantara.xyz/v1",
        key_env: &["NEOSANTARA_API_KEY"],
        base_env: &["NEOSANTARA_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "tensormesh",
        base_url: "https://serverless.tensormesh.ai/v1",
        key_env: &["TENSORMESH_INFERENCE_API_KEY"],
        base_env: &["TENSORMESH_SERVERLESS_BASE_URL"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "parasail",
        base_url: "https://api.parasail.io/v1",
        key_env: &["PARASAIL_API_KEY"],
        base_env: &["PARASAIL_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json + /embeddings per supported_endpoints / provider_endpoints_support.json
    Row {
        id: "libertai",
        base_url: "https://api.libertai.io/v1",
        key_env: &["LIBERTAI_API_KEY"],
        base_env: &["LIBERTAI_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: EMBEDDINGS,
    },
    // litellm providers.json + /embeddings per supported_endpoints / provider_endpoints_support.json
    Row {
        id: "empiriolabs",
        base_url: "https://api.empiriolabs.ai/v1",
        key_env: &["EMPIRIOLABS_API_KEY"],
        base_env: &["EMPIRIOLABS_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: EMBEDDINGS,
    },
    // litellm providers.json
    Row {
        id: "meta",
        base_url: "https://api.meta.ai/v1",
        key_env: &["META_API_KEY"],
        base_env: &["META_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "cognition",
        base_url: "https://api.cognition.ai/v1",
        key_env: &["COGNITION_API_KEY"],
        base_env: &["COGNITION_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "coralbricks",
        base_url: "https://inference.coralbricks.ai/v1",
        key_env: &["CORALBRICKS_API_KEY"],
        base_env: &["CORALBRICKS_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "cortecs",
        base_url: "https://api.cortecs.ai/v1",
        key_env: &["CORTECS_API_KEY"],
        base_env: &["CORTECS_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "pinstripes",
        base_url: "https://pinstripes.io/v1",
        key_env: &["PINSTRIPES_API_KEY"],
        base_env: &["PINSTRIPES_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    // providers.json also clamps temperature to <= 1.99 (no Row field for it).
    Row {
        id: "scx-ai",
        base_url: "https://api.scx.ai/v1",
        key_env: &["SCX_API_KEY"],
        base_env: &["SCX_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: MCT_TO_MAX_TOKENS,
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "prism",
        base_url: "https://api.prisminference.com/v1",
        key_env: &["PRISM_API_KEY"],
        base_env: &["PRISM_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json + /embeddings per supported_endpoints / provider_endpoints_support.json
    Row {
        id: "hostinger_router",
        base_url: "https://router.hostinger.com/v1",
        key_env: &["HOSTINGER_ROUTER_API_KEY"],
        base_env: &["HOSTINGER_ROUTER_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: EMBEDDINGS,
    },
    // litellm providers.json
    Row {
        id: "sail",
        base_url: "https://api.sailresearch.com/v1",
        key_env: &["SAIL_API_KEY"],
        base_env: &["SAIL_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "reka",
        base_url: "https://api.reka.ai/v1",
        key_env: &["REKA_API_KEY"],
        base_env: &["REKA_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "openinfer",
        base_url: "https://api.openinfer.ai/v1",
        key_env: &["OPENINFER_API_KEY"],
        base_env: &["OPENINFER_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "inferenceapis",
        base_url: "https://api.inferenceapis.com/v1",
        key_env: &["INFERENCEAPIS_API_KEY"],
        base_env: &["INFERENCEAPIS_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "refuseless",
        base_url: "https://api.refuseless.com/v1",
        key_env: &["REFUSELESS_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "kyma",
        base_url: "https://kymaapi.com/v1",
        key_env: &["KYMA_API_KEY"],
        base_env: &[],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "streamlake",
        base_url: "https://vanchin.streamlake.ai/api/gateway/v1/endpoints",
        key_env: &["STREAMLAKE_API_KEY"],
        base_env: &["STREAMLAKE_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[("max_tokens", "max_completion_tokens")],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
    // litellm providers.json
    Row {
        id: "wally",
        base_url: "https://inference.runanywhere.ai/v1",
        key_env: &["WALLY_API_KEY"],
        base_env: &["WALLY_API_BASE"],
        settings_key: None,
        auth: Auth::Bearer,
        renames: &[],
        unsupported: &[],
        headers: &[],
        hosts: &[],
        quirks: 0,
    },
];

#[cfg(test)]
mod tests {
    use super::super::row::{Auth, Row, quirk};
    use super::ROWS;
    use std::collections::HashSet;

    /// OpenAI chat-completions request parameters (the body fields other than `model` and
    /// `messages`) that a rename may start from or an `unsupported` entry may name.
    const OPENAI_CHAT_PARAMS: &[&str] = &[
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "max_completion_tokens",
        "max_tokens",
        "metadata",
        "modalities",
        "n",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "prompt_cache_retention",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "verbosity",
        "web_search_options",
    ];

    const ALL_QUIRKS: u32 = quirk::CONTENT_LIST_TO_STRING
        | quirk::NO_STREAM_OPTIONS
        | quirk::TOOL_CHOICE_REQUIRED_AS_ANY
        | quirk::STRIP_MESSAGE_NAME
        | quirk::TEXT_COMPLETIONS
        | quirk::EMBEDDINGS
        | quirk::KEY_OPTIONAL
        | quirk::NULL_CONTENT_AS_EMPTY
        | quirk::FIM_COMPLETIONS
        | quirk::USAGE_INCLUDE;

    /// The 42 providers of litellm's `litellm/llms/openai_like/providers.json`.
    const LITELLM_JSON_PROVIDERS: &[&str] = &[
        "publicai",
        "helicone",
        "veniceai",
        "xiaomi_mimo",
        "scaleway",
        "synthetic",
        "apertis",
        "nano-gpt",
        "poe",
        "zerogpu",
        "chutes",
        "abliteration",
        "llamagate",
        "gmi",
        "sarvam",
        "assemblyai",
        "charity_engine",
        "aihubmix",
        "aiand",
        "crusoe",
        "darkbloom",
        "neosantara",
        "tensormesh",
        "parasail",
        "libertai",
        "empiriolabs",
        "meta",
        "cognition",
        "coralbricks",
        "cortecs",
        "pinstripes",
        "scx-ai",
        "prism",
        "hostinger_router",
        "sail",
        "reka",
        "openinfer",
        "inferenceapis",
        "refuseless",
        "kyma",
        "streamlake",
        "wally",
    ];

    fn row(id: &str) -> &'static Row {
        ROWS.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no row `{id}`"))
    }

    fn is_env_name(s: &str) -> bool {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    }

    fn is_header_name(s: &str) -> bool {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }

    #[test]
    fn openai_comes_first() {
        assert_eq!(ROWS[0].id, "openai");
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for r in ROWS {
            assert!(seen.insert(r.id), "duplicate id `{}`", r.id);
            assert!(
                r.id.starts_with(|c: char| c.is_ascii_lowercase()),
                "id `{}` must start with a lowercase letter",
                r.id
            );
            assert!(
                r.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'),
                "id `{}` has characters outside [a-z0-9_-]",
                r.id
            );
        }
    }

    #[test]
    fn base_urls_are_well_formed() {
        for r in ROWS {
            let u = r.base_url;
            if u.is_empty() {
                continue;
            }
            assert!(u.starts_with("http://") || u.starts_with("https://"), "{}: base_url `{u}`", r.id);
            assert!(!u.ends_with('/'), "{}: base_url `{u}` ends with a slash", r.id);
            for endpoint in ["/chat/completions", "/completions", "/embeddings"] {
                assert!(!u.ends_with(endpoint), "{}: base_url `{u}` ends with `{endpoint}`", r.id);
            }
            assert!(!u.chars().any(char::is_whitespace), "{}: base_url `{u}` has whitespace", r.id);
        }
    }

    #[test]
    fn base_url_placeholders_name_env_variables() {
        for r in ROWS {
            let mut rest = r.base_url;
            while let Some(open) = rest.find('{') {
                let close = rest[open..].find('}').map(|i| open + i);
                let close = close.unwrap_or_else(|| panic!("{}: unclosed `{{` in base_url", r.id));
                let name = &rest[open + 1..close];
                assert!(is_env_name(name), "{}: placeholder `{name}` is not an env name", r.id);
                rest = &rest[close + 1..];
            }
            assert!(!rest.contains('}'), "{}: stray `}}` in base_url", r.id);
        }
    }

    #[test]
    fn rows_without_a_base_url_name_a_base_env() {
        for r in ROWS.iter().filter(|r| r.base_url.is_empty()) {
            assert!(!r.base_env.is_empty(), "{}: no base_url and no base_env", r.id);
        }
    }

    #[test]
    fn rows_that_need_a_key_name_a_key_env() {
        for r in ROWS.iter().filter(|r| !r.has(quirk::KEY_OPTIONAL)) {
            assert!(!r.key_env.is_empty(), "{}: key required but no key_env", r.id);
        }
    }

    #[test]
    fn env_names_are_upper_snake_and_not_repeated() {
        for r in ROWS {
            for list in [r.key_env, r.base_env] {
                let mut seen = HashSet::new();
                for name in list {
                    assert!(is_env_name(name), "{}: bad env name `{name}`", r.id);
                    assert!(seen.insert(*name), "{}: env name `{name}` listed twice", r.id);
                }
            }
            for name in r.key_env {
                assert!(!r.base_env.contains(name), "{}: `{name}` is both a key and a base env", r.id);
            }
        }
    }

    #[test]
    fn settings_keys_are_python_identifiers() {
        for r in ROWS {
            if let Some(s) = r.settings_key {
                assert!(
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                    "{}: settings_key `{s}`",
                    r.id
                );
            }
        }
    }

    #[test]
    fn hosts_are_unique_and_have_no_scheme() {
        let mut seen = HashSet::new();
        for r in ROWS {
            for h in r.hosts {
                assert!(!h.is_empty(), "{}: empty host", r.id);
                assert!(!h.contains("://"), "{}: host `{h}` has a scheme", r.id);
                assert!(!h.ends_with('/'), "{}: host `{h}` ends with a slash", r.id);
                assert!(!h.chars().any(char::is_whitespace), "{}: host `{h}` has whitespace", r.id);
                assert_eq!(*h, h.to_ascii_lowercase(), "{}: host `{h}` is not lowercase", r.id);
                assert!(seen.insert(*h), "host `{h}` appears in more than one row");
            }
        }
    }

    #[test]
    fn renames_start_from_openai_parameters() {
        for r in ROWS {
            let mut sources = HashSet::new();
            for (from, to) in r.renames {
                assert!(
                    OPENAI_CHAT_PARAMS.contains(from),
                    "{}: rename source `{from}` is not an OpenAI parameter",
                    r.id
                );
                assert!(!to.is_empty() && from != to, "{}: rename `{from}` -> `{to}`", r.id);
                assert!(sources.insert(*from), "{}: `{from}` renamed twice", r.id);
                assert!(!r.unsupported.contains(from), "{}: `{from}` is both renamed and unsupported", r.id);
            }
        }
    }

    #[test]
    fn unsupported_entries_are_openai_parameters() {
        for r in ROWS {
            let mut seen = HashSet::new();
            for p in r.unsupported {
                assert!(OPENAI_CHAT_PARAMS.contains(p), "{}: unsupported `{p}` is not an OpenAI parameter", r.id);
                assert!(seen.insert(*p), "{}: `{p}` listed twice", r.id);
            }
        }
    }

    #[test]
    fn quirk_bits_are_known() {
        for r in ROWS {
            assert_eq!(r.quirks & !ALL_QUIRKS, 0, "{}: unknown quirk bits {:#x}", r.id, r.quirks);
        }
    }

    #[test]
    fn headers_are_well_formed() {
        for r in ROWS {
            if let Auth::Header(name) = r.auth {
                assert!(is_header_name(name), "{}: auth header `{name}`", r.id);
                assert!(
                    !r.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(name)),
                    "{}: `{name}` is both the auth header and a fixed header",
                    r.id
                );
            }
            let mut seen = HashSet::new();
            for (name, value) in r.headers {
                assert!(is_header_name(name), "{}: fixed header `{name}`", r.id);
                assert!(!name.eq_ignore_ascii_case("authorization"), "{}: fixed Authorization header", r.id);
                assert!(!value.is_empty() && !value.contains(['\r', '\n']), "{}: header `{name}` value", r.id);
                assert!(seen.insert(name.to_ascii_lowercase()), "{}: header `{name}` twice", r.id);
            }
        }
    }

    #[test]
    fn every_litellm_json_provider_has_a_row() {
        assert_eq!(LITELLM_JSON_PROVIDERS.len(), 42);
        for id in LITELLM_JSON_PROVIDERS {
            row(id);
        }
    }

    /// Expected facts for well-known providers.
    struct Expect {
        id: &'static str,
        base_url: &'static str,
        key_env: &'static [&'static str],
        base_env: &'static [&'static str],
        hosts: &'static [&'static str],
        quirks: u32,
    }

    const EXPECTED: &[Expect] = &[
        Expect {
            id: "openai",
            base_url: "https://api.openai.com/v1",
            key_env: &["OPENAI_API_KEY"],
            base_env: &["OPENAI_BASE_URL", "OPENAI_API_BASE"],
            hosts: &[],
            quirks: quirk::TEXT_COMPLETIONS | quirk::EMBEDDINGS,
        },
        Expect {
            id: "groq",
            base_url: "https://api.groq.com/openai/v1",
            key_env: &["GROQ_API_KEY"],
            base_env: &["GROQ_API_BASE"],
            hosts: &["api.groq.com/openai/v1"],
            quirks: quirk::STRIP_MESSAGE_NAME,
        },
        Expect {
            id: "mistral",
            base_url: "https://api.mistral.ai/v1",
            key_env: &["MISTRAL_AZURE_API_KEY", "MISTRAL_API_KEY"],
            base_env: &["MISTRAL_AZURE_API_BASE"],
            hosts: &["api.mistral.ai/v1"],
            quirks: quirk::TOOL_CHOICE_REQUIRED_AS_ANY | quirk::EMBEDDINGS | quirk::CONTENT_LIST_TO_STRING,
        },
        Expect {
            id: "together_ai",
            base_url: "https://api.together.xyz/v1",
            key_env: &["TOGETHER_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHERAI_API_KEY", "TOGETHER_AI_TOKEN"],
            base_env: &["TOGETHER_AI_API_BASE"],
            hosts: &["api.together.xyz/v1"],
            quirks: quirk::TEXT_COMPLETIONS | quirk::EMBEDDINGS,
        },
        Expect {
            id: "deepseek",
            base_url: "https://api.deepseek.com/beta",
            key_env: &["DEEPSEEK_API_KEY"],
            base_env: &["DEEPSEEK_API_BASE"],
            hosts: &["api.deepseek.com/v1"],
            quirks: quirk::CONTENT_LIST_TO_STRING,
        },
        Expect {
            id: "xai",
            base_url: "https://api.x.ai/v1",
            key_env: &["XAI_API_KEY"],
            base_env: &["XAI_API_BASE"],
            hosts: &["api.x.ai/v1"],
            quirks: quirk::STRIP_MESSAGE_NAME,
        },
        Expect {
            id: "openrouter",
            base_url: "https://openrouter.ai/api/v1",
            key_env: &["OPENROUTER_API_KEY", "OR_API_KEY"],
            base_env: &["OPENROUTER_API_BASE"],
            hosts: &[],
            quirks: 0,
        },
        Expect {
            id: "perplexity",
            base_url: "https://api.perplexity.ai",
            key_env: &["PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"],
            base_env: &["PERPLEXITY_API_BASE"],
            hosts: &["api.perplexity.ai"],
            quirks: 0,
        },
        Expect {
            id: "fireworks_ai",
            base_url: "https://api.fireworks.ai/inference/v1",
            key_env: &["FIREWORKS_API_KEY", "FIREWORKS_AI_API_KEY", "FIREWORKSAI_API_KEY", "FIREWORKS_AI_TOKEN"],
            base_env: &["FIREWORKS_API_BASE"],
            hosts: &[],
            quirks: quirk::TOOL_CHOICE_REQUIRED_AS_ANY | quirk::TEXT_COMPLETIONS | quirk::EMBEDDINGS,
        },
        Expect {
            id: "cerebras",
            base_url: "https://api.cerebras.ai/v1",
            key_env: &["CEREBRAS_API_KEY"],
            base_env: &["CEREBRAS_API_BASE"],
            hosts: &["api.cerebras.ai/v1"],
            quirks: 0,
        },
        Expect {
            id: "deepinfra",
            base_url: "https://api.deepinfra.com/v1/openai",
            key_env: &["DEEPINFRA_API_KEY"],
            base_env: &["DEEPINFRA_API_BASE"],
            hosts: &["api.deepinfra.com/v1/openai"],
            quirks: quirk::TEXT_COMPLETIONS | quirk::EMBEDDINGS,
        },
        Expect {
            id: "nvidia_nim",
            base_url: "https://integrate.api.nvidia.com/v1",
            key_env: &["NVIDIA_NIM_API_KEY"],
            base_env: &["NVIDIA_NIM_API_BASE"],
            hosts: &["integrate.api.nvidia.com/v1"],
            quirks: 0,
        },
        Expect {
            id: "hosted_vllm",
            base_url: "",
            key_env: &["HOSTED_VLLM_API_KEY"],
            base_env: &["HOSTED_VLLM_API_BASE"],
            hosts: &[],
            quirks: quirk::KEY_OPTIONAL | quirk::TEXT_COMPLETIONS | quirk::EMBEDDINGS,
        },
        Expect {
            id: "cloudflare",
            base_url: "https://api.cloudflare.com/client/v4/accounts/{CLOUDFLARE_ACCOUNT_ID}/ai/v1",
            key_env: &["CLOUDFLARE_API_KEY"],
            base_env: &["CLOUDFLARE_API_BASE"],
            hosts: &[],
            quirks: 0,
        },
        Expect {
            id: "github",
            base_url: "https://models.inference.ai.azure.com",
            key_env: &["GITHUB_API_KEY"],
            base_env: &["GITHUB_API_BASE"],
            hosts: &[],
            quirks: 0,
        },
    ];

    #[test]
    fn well_known_providers_match_litellm() {
        for e in EXPECTED {
            let r = row(e.id);
            assert_eq!(r.base_url, e.base_url, "{}: base_url", e.id);
            assert_eq!(r.key_env, e.key_env, "{}: key_env", e.id);
            assert_eq!(r.base_env, e.base_env, "{}: base_env", e.id);
            assert_eq!(r.hosts, e.hosts, "{}: hosts", e.id);
            // `quirks` lists bits that must be set; other bits may be set too.
            assert_eq!(r.quirks & e.quirks, e.quirks, "{}: quirks {:#x}", e.id, r.quirks);
            assert_eq!(r.auth, Auth::Bearer, "{}: auth", e.id);
        }
    }

    #[test]
    fn parameter_quirks_match_litellm() {
        let mct = ("max_completion_tokens", "max_tokens");
        // GroqChatConfig keeps max_completion_tokens; Groq's docs reject logprobs & co.
        let groq = row("groq");
        assert!(groq.renames.is_empty());
        for p in ["logprobs", "logit_bias", "top_logprobs"] {
            assert!(groq.unsupported.contains(&p), "groq: {p}");
        }
        // MistralConfig: max_completion_tokens -> max_tokens, seed -> random_seed.
        for id in ["mistral", "codestral", "text-completion-codestral"] {
            let r = row(id);
            assert!(r.renames.contains(&mct), "{id}");
            assert!(r.renames.contains(&("seed", "random_seed")), "{id}");
        }
        assert!(row("codestral").has(quirk::TOOL_CHOICE_REQUIRED_AS_ANY));
        let fim = row("text-completion-codestral");
        assert!(fim.has(quirk::TEXT_COMPLETIONS));
        assert_eq!(fim.hosts, &["codestral.mistral.ai/v1/fim/completions"]);
        for id in ["xai", "deepinfra", "fireworks_ai", "cerebras", "nvidia_nim", "sambanova", "nebius", "moonshot"] {
            assert!(row(id).renames.contains(&mct), "{id}: max_completion_tokens -> max_tokens");
        }
        assert!(row("perplexity").unsupported.contains(&"tools"));
        assert!(row("sambanova").has(quirk::CONTENT_LIST_TO_STRING));
        assert!(row("dashscope").has(quirk::CONTENT_LIST_TO_STRING));
        // providers.json: sarvam authenticates with `api-subscription-key`, publicai flattens
        // content lists, streamlake renames the other way round.
        assert_eq!(row("sarvam").auth, Auth::Header("api-subscription-key"));
        assert!(row("publicai").has(quirk::CONTENT_LIST_TO_STRING));
        assert_eq!(row("streamlake").renames, &[("max_tokens", "max_completion_tokens")]);
        assert_eq!(row("helicone").base_url, "https://ai-gateway.helicone.ai");
        assert_eq!(row("chutes").base_url, "https://llm.chutes.ai/v1");
        // Local servers need no key.
        for id in ["hosted_vllm", "lm_studio", "llamafile", "docker_model_runner", "openai_like", "custom_openai"] {
            assert!(row(id).has(quirk::KEY_OPTIONAL), "{id}");
        }
        assert_eq!(row("lm_studio").base_url, "http://localhost:1234/v1");
        assert_eq!(row("llamafile").base_url, "http://127.0.0.1:8080/v1");
        for (id, setting) in [
            ("openai", "openai_key"),
            ("groq", "groq_key"),
            ("openrouter", "openrouter_key"),
            ("together_ai", "togetherai_api_key"),
        ] {
            assert_eq!(row(id).settings_key, Some(setting), "{id}");
        }
    }
}
