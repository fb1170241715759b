//! Model resolution the way litellm does it: `custom_llm_provider=`, then the `provider/` prefix,
//! then the `api_base` host, then well-known bare model names. Unknown input is a clear error.

use super::Dispatch;
use super::openai_compat::{self, OpenAiCompat, Row};
use crate::error::{ErrorKind, LlmError};

/// Providers litellm knows whose wire format is not OpenAI's; they get their own translation in a
/// later step and are reported as such instead of as unknown.
pub const NATIVE_PROVIDERS: &[&str] = &[
    "anthropic",
    "anthropic_text",
    "gemini",
    "vertex_ai",
    "vertex_ai_beta",
    "bedrock",
    "sagemaker",
    "sagemaker_chat",
    "azure",
    "azure_text",
    "azure_ai",
    "cohere",
    "cohere_chat",
    "ollama",
    "ollama_chat",
    "replicate",
    "huggingface",
    "triton",
    "watsonx",
    "watsonx_text",
    "predibase",
    "clarifai",
    "oci",
    "snowflake",
    "petals",
    "nlp_cloud",
    "aleph_alpha",
    "maritalk",
    "gigachat",
    "baseten",
    "voyage",
    "jina_ai",
    "infinity",
    "deepgram",
    "elevenlabs",
    "fal_ai",
    "stability",
];

/// The outcome of resolution: which provider, its facts (keys, base URL), and the model name to
/// send upstream.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub provider: Dispatch,
    pub row: &'static Row,
    /// The model without the provider prefix.
    pub model: String,
}

impl Resolved {
    pub fn row(&self) -> &'static Row {
        self.row
    }

    fn new(provider: Dispatch, row: &'static Row, model: &str) -> Self {
        Self { provider, row, model: model.to_owned() }
    }
}

/// Native providers that are wired in (their translation lives in their own module).
const NATIVE_READY: &[&str] = &[
    "azure",
    "azure_ai",
    "anthropic",
    "gemini",
    "ollama",
    "ollama_chat",
    "cohere",
    "cohere_chat",
    "bedrock",
    "vertex_ai",
    "vertex_ai_beta",
];

/// Every provider id litellm_rs knows (`litellm.provider_list`): the OpenAI-compatible rows, the
/// native providers it implements, then those it recognises but does not implement yet.
pub fn provider_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = openai_compat::ROWS.iter().map(|r| r.id).collect();
    for id in NATIVE_READY.iter().chain(NATIVE_PROVIDERS) {
        if !ids.contains(id) {
            ids.push(id);
        }
    }
    ids
}

/// The environment variables a provider's credentials are read from, as litellm's
/// `validate_environment` checks them: groups that must all be set, each a list of alternatives.
/// An empty list means nothing is required (local servers); None, an unknown provider.
pub fn env_requirements(id: &str) -> Option<Vec<Vec<&'static str>>> {
    match id {
        "bedrock" | "sagemaker" => return Some(vec![vec!["AWS_ACCESS_KEY_ID"], vec!["AWS_SECRET_ACCESS_KEY"]]),
        "vertex_ai" | "vertex_ai_beta" => return Some(vec![vec!["VERTEXAI_PROJECT"], vec!["VERTEXAI_LOCATION"]]),
        "anthropic" => return Some(vec![vec!["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"]]),
        "azure" => return Some(vec![vec!["AZURE_API_BASE"], vec!["AZURE_API_VERSION"], vec!["AZURE_API_KEY"]]),
        "ollama" | "ollama_chat" => return Some(Vec::new()),
        _ => {}
    }
    let (_, row) = lookup(id)?;
    if row.key_env.is_empty() || row.quirks & openai_compat::quirk::KEY_OPTIONAL != 0 {
        return Some(Vec::new());
    }
    Some(vec![row.key_env.to_vec()])
}

/// The provider with this id, if litellm_rs implements it.
fn lookup(id: &str) -> Option<(Dispatch, &'static Row)> {
    use super::{anthropic, azure, cohere, gemini, ollama};
    if NATIVE_READY.contains(&id) {
        return match id {
            "azure" => Some((Dispatch::Azure(azure::Azure { foundry: false }), &azure::ROW)),
            "azure_ai" => Some((Dispatch::Azure(azure::Azure { foundry: true }), &azure::AI_ROW)),
            "anthropic" => Some((Dispatch::Anthropic(anthropic::Anthropic), &anthropic::ROW)),
            "gemini" => Some((Dispatch::Gemini(gemini::Gemini), &gemini::ROW)),
            "ollama" | "ollama_chat" => {
                Some((Dispatch::Ollama(ollama::Ollama { chat: id == "ollama_chat" }), &ollama::ROW))
            }
            "cohere" | "cohere_chat" => Some((Dispatch::Cohere(cohere::Cohere), &cohere::ROW)),
            "bedrock" => Some((Dispatch::Bedrock(super::bedrock::Bedrock), &super::bedrock::ROW)),
            "vertex_ai" => Some((Dispatch::Vertex(super::vertex::Vertex { beta: false }), &super::vertex::ROW)),
            "vertex_ai_beta" => {
                Some((Dispatch::Vertex(super::vertex::Vertex { beta: true }), &super::vertex::BETA_ROW))
            }
            _ => None,
        };
    }
    openai_compat::row(id).map(|row| (Dispatch::Compat(OpenAiCompat { row }), row))
}

fn native_not_ready(provider: &str, model: &str) -> LlmError {
    let mut e = LlmError::new(
        ErrorKind::BadRequest,
        format!(
            "Provider '{provider}' is recognised, but its native API is not implemented in this version of \
             litellm_rs yet (model={model}). Use an OpenAI-compatible endpoint of it with `openai/<model>` and \
             `api_base=`, or one of: {}",
            openai_compat::ROWS.iter().map(|r| r.id).take(12).collect::<Vec<_>>().join(", ") + ", ..."
        ),
    );
    e.provider = provider.to_owned();
    e.model = model.to_owned();
    e
}

/// True for model names litellm sends to OpenAI without a prefix.
pub fn is_openai_bare_name(model: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "gpt-",
        "o1",
        "o3",
        "o4",
        "chatgpt-",
        "text-embedding-",
        "omni-moderation",
        "text-moderation",
        "dall-e",
        "whisper-",
        "tts-",
        "gpt-image",
        "codex-",
        "computer-use-",
    ];
    PREFIXES.iter().any(|p| model.starts_with(p)) || matches!(model, "davinci-002" | "babbage-002")
}

/// OpenAI models served only by chat completions (not by the legacy `/completions`).
pub fn is_openai_chat_model(model: &str) -> bool {
    const PREFIXES: &[&str] = &["gpt-4", "gpt-5", "gpt-3.5-turbo", "o1", "o3", "o4", "chatgpt-", "gpt-oss", "codex-"];
    PREFIXES.iter().any(|p| model.starts_with(p)) && !is_openai_text_completion_name(model)
}

fn is_openai_text_completion_name(model: &str) -> bool {
    model == "gpt-3.5-turbo-instruct"
        || model.starts_with("gpt-3.5-turbo-instruct-")
        || matches!(model, "davinci-002" | "babbage-002")
}

/// Host (and path prefix) of an api_base, without scheme or trailing slash.
fn host_path(api_base: &str) -> &str {
    let s = api_base.split_once("://").map_or(api_base, |(_, rest)| rest);
    s.trim_end_matches('/')
}

/// Whether an api_base (host and path) is served by a table host entry; entries may name an
/// endpoint path (`.../chat/completions`), which is ignored.
fn host_matches(base: &str, entry: &str) -> bool {
    let mut e = entry.trim_end_matches('/');
    for suffix in ["/chat/completions", "/fim/completions", "/completions", "/embeddings"] {
        e = e.strip_suffix(suffix).unwrap_or(e);
    }
    base == e || base.strip_prefix(e).is_some_and(|rest| rest.starts_with('/'))
}

/// Resolves a model string, an optional explicit provider and an optional api_base.
pub fn resolve(model: &str, custom_llm_provider: Option<&str>, api_base: Option<&str>) -> Result<Resolved, LlmError> {
    let model = model.trim();
    if model.is_empty() {
        return Err(LlmError::bad_request("model is required (e.g. model=\"openai/gpt-4o-mini\")"));
    }
    if let Some(p) = custom_llm_provider.filter(|p| !p.is_empty()) {
        let stripped = model.strip_prefix(p).and_then(|m| m.strip_prefix('/')).unwrap_or(model);
        if let Some((provider, row)) = lookup(p) {
            return Ok(Resolved::new(provider, row, stripped));
        }
        if NATIVE_PROVIDERS.contains(&p) {
            return Err(native_not_ready(p, stripped));
        }
        return Err(unknown(model, Some(p), api_base));
    }
    if let Some((prefix, rest)) = model.split_once('/') {
        if let Some((provider, row)) = lookup(prefix) {
            return Ok(Resolved::new(provider, row, rest));
        }
        if NATIVE_PROVIDERS.contains(&prefix) {
            return Err(native_not_ready(prefix, rest));
        }
    }
    if let Some(base) = api_base.filter(|b| !b.is_empty()) {
        let hp = host_path(base);
        for row in openai_compat::ROWS {
            if row.hosts.iter().any(|h| host_matches(hp, h)) {
                return Ok(Resolved::new(Dispatch::Compat(OpenAiCompat { row }), row, model));
            }
        }
    }
    if is_openai_text_completion_name(model)
        && let Some((provider, row)) = lookup("text-completion-openai")
    {
        return Ok(Resolved::new(provider, row, model));
    }
    if is_openai_bare_name(model)
        && let Some((provider, row)) = lookup("openai")
    {
        return Ok(Resolved::new(provider, row, model));
    }
    if model.starts_with("claude-") {
        return match lookup("anthropic") {
            Some((provider, row)) => Ok(Resolved::new(provider, row, model)),
            None => Err(native_not_ready("anthropic", model)),
        };
    }
    if model.starts_with("gemini-") {
        // litellm lists bare Gemini names under vertex_ai
        return match lookup("vertex_ai") {
            Some((provider, row)) => Ok(Resolved::new(provider, row, model)),
            None => Err(native_not_ready("vertex_ai", model)),
        };
    }
    Err(unknown(model, custom_llm_provider, api_base))
}

fn unknown(model: &str, custom_llm_provider: Option<&str>, api_base: Option<&str>) -> LlmError {
    let prefix = model.split_once('/').map(|(p, _)| p);
    let tried = [
        match (custom_llm_provider, prefix) {
            (Some(p), _) => format!("custom_llm_provider='{p}' is not a provider litellm_rs knows"),
            (None, Some(p)) => format!("the prefix '{p}/' is not a provider litellm_rs knows"),
            (None, None) => "the model has no 'provider/' prefix".to_owned(),
        },
        match api_base {
            Some(b) => format!("api_base '{}' matches no known provider host", host_path(b)),
            None => "no api_base was given".to_owned(),
        },
        format!("'{model}' is not a well-known bare model name (gpt-*, o1*, o3*, o4*, chatgpt-*)"),
    ];
    let mut e = LlmError::new(
        ErrorKind::UnknownProvider,
        format!(
            "LLM Provider NOT provided. Pass in the LLM provider you are trying to call. You passed model={model}. \
             Tried: {}. Pass model as '<provider>/<model>' (e.g. 'groq/llama-3.3-70b-versatile') or set \
             custom_llm_provider=. Known providers: see litellm_rs.provider_list.",
            tried.join("; ")
        ),
    );
    e.model = model.to_owned();
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(model: &str, cp: Option<&str>, base: Option<&str>) -> (String, String) {
        let r = resolve(model, cp, base).unwrap_or_else(|e| panic!("{model}: {e}"));
        (r.row.id.to_owned(), r.model)
    }

    #[test]
    fn prefix_explicit_host_and_bare_names() {
        assert_eq!(ok("groq/llama-3.3-70b-versatile", None, None), ("groq".into(), "llama-3.3-70b-versatile".into()));
        assert_eq!(
            ok("openrouter/anthropic/claude-3.5", None, None),
            ("openrouter".into(), "anthropic/claude-3.5".into())
        );
        assert_eq!(ok("llama3", Some("hosted_vllm"), None), ("hosted_vllm".into(), "llama3".into()));
        assert_eq!(ok("groq/llama3", Some("groq"), None), ("groq".into(), "llama3".into()));
        assert_eq!(
            ok("llama-3.3-70b", None, Some("https://api.groq.com/openai/v1")),
            ("groq".into(), "llama-3.3-70b".into())
        );
        assert_eq!(ok("codestral-latest", None, Some("https://codestral.mistral.ai/v1")).0, "codestral");
        assert_eq!(ok("m", None, Some("https://api.groq.com/openai/v1/")).0, "groq");
        assert!(resolve("m", None, Some("https://api.groq.com.evil.example/v1")).is_err());
        assert_eq!(ok("gpt-4o", None, None), ("openai".into(), "gpt-4o".into()));
        assert_eq!(ok("o3-mini", None, None), ("openai".into(), "o3-mini".into()));
        assert_eq!(ok("chatgpt-4o-latest", None, None), ("openai".into(), "chatgpt-4o-latest".into()));
        assert_eq!(
            ok("gpt-3.5-turbo-instruct", None, None),
            ("text-completion-openai".into(), "gpt-3.5-turbo-instruct".into())
        );
        assert_eq!(
            ok("openai/my-local-model", None, Some("http://127.0.0.1:8000/v1")),
            ("openai".into(), "my-local-model".into())
        );
    }

    #[test]
    fn openai_chat_models_are_told_from_text_models() {
        assert!(
            is_openai_chat_model("gpt-4o-mini") && is_openai_chat_model("o3-mini") && is_openai_chat_model("gpt-5")
        );
        assert!(!is_openai_chat_model("gpt-3.5-turbo-instruct") && !is_openai_chat_model("davinci-002"));
        assert!(!is_openai_chat_model("my-vllm-model"));
    }

    #[test]
    fn provider_list_has_every_implemented_provider_once() {
        let ids = provider_ids();
        for id in ["openai", "groq", "anthropic", "azure", "bedrock", "vertex_ai", "gemini", "ollama_chat", "cohere"] {
            assert_eq!(ids.iter().filter(|i| **i == id).count(), 1, "{id}");
        }
        for id in NATIVE_READY {
            assert!(lookup(id).is_some(), "{id} is listed as ready but not wired in lookup()");
        }
    }

    #[test]
    fn unknown_and_native_are_clear_errors() {
        let e = resolve("foo/bar", None, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownProvider);
        assert!(e.message.contains("foo/bar") && e.message.contains("'foo/'"), "{}", e.message);
        let e = resolve("mystery-model", None, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownProvider);
        let e = resolve("sagemaker/my-endpoint", None, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert!(e.message.contains("sagemaker"));
        assert!(resolve("", None, None).is_err());
    }
}
