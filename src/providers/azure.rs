//! Azure OpenAI (`azure/<deployment>`) and Azure AI Foundry (`azure_ai/<model>`): OpenAI's wire
//! format behind deployment URLs, `api-version` and Azure's auth (an `api-key` header or an Entra
//! ID bearer token). Bodies and parsing are the OpenAI-compatible family's.

use super::openai_compat::{Auth, OpenAiCompat, Row, quirk};
use super::{CallTarget, HttpRequest, Provider, StreamState};
use crate::error::LlmError;
use crate::types::{
    ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, TextCompletionRequest,
    TextCompletionResponse,
};

/// litellm's `AZURE_DEFAULT_API_VERSION`.
pub const DEFAULT_API_VERSION: &str = "2025-02-01-preview";

/// The api-version litellm sends to Azure AI Foundry's model inference endpoints.
pub const AZURE_AI_API_VERSION: &str = "2024-05-01-preview";

pub static ROW: Row = Row {
    id: "azure",
    base_url: "",
    key_env: &["AZURE_API_KEY", "AZURE_OPENAI_API_KEY"],
    base_env: &["AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"],
    settings_key: Some("azure_key"),
    auth: Auth::Header("api-key"),
    renames: &[],
    unsupported: &[],
    headers: &[],
    hosts: &[],
    quirks: quirk::EMBEDDINGS | quirk::TEXT_COMPLETIONS,
};

pub static AI_ROW: Row = Row {
    id: "azure_ai",
    base_url: "",
    key_env: &["AZURE_AI_API_KEY"],
    base_env: &["AZURE_AI_API_BASE"],
    settings_key: None,
    auth: Auth::Bearer,
    renames: &[],
    unsupported: &[],
    headers: &[],
    hosts: &[],
    quirks: quirk::EMBEDDINGS,
};

/// `foundry` is Azure AI (`azure_ai/`); otherwise Azure OpenAI deployments (`azure/`).
#[derive(Debug, Clone, Copy)]
pub struct Azure {
    pub foundry: bool,
}

impl Azure {
    fn compat(&self) -> OpenAiCompat {
        OpenAiCompat { row: if self.foundry { &AI_ROW } else { &ROW } }
    }

    /// The api-version query value (the engine fills the call's, AZURE_API_VERSION or the module
    /// default into the target), else litellm's default.
    fn api_version(&self, target: &CallTarget) -> String {
        target.api_version.clone().unwrap_or_else(|| DEFAULT_API_VERSION.to_owned())
    }

    /// `{base}/openai/deployments/{deployment}/{endpoint}?api-version=...` (a base that already
    /// names the deployment path is used as given).
    fn url(&self, target: &CallTarget, deployment: &str, endpoint: &str) -> String {
        if self.foundry {
            return self.foundry_url(target, endpoint);
        }
        let base = target.api_base.trim_end_matches('/');
        let path = if base.contains("/openai/deployments/") {
            if base.ends_with(endpoint) { base.to_owned() } else { format!("{base}/{endpoint}") }
        } else {
            let base = base.strip_suffix("/openai").unwrap_or(base);
            format!("{base}/openai/deployments/{deployment}/{endpoint}")
        };
        with_query(&path, "api-version", &self.api_version(target))
    }

    /// Azure AI Foundry: `{base}/chat/completions`; `*.services.ai.azure.com` bases are served
    /// under `/models` with an api-version.
    fn foundry_url(&self, target: &CallTarget, endpoint: &str) -> String {
        let base = target.api_base.trim_end_matches('/');
        if base.contains("services.ai.azure.com") {
            let base = if base.contains("/models") { base.to_owned() } else { format!("{base}/models") };
            let version = target.api_version.clone().unwrap_or_else(|| AZURE_AI_API_VERSION.to_owned());
            return with_query(&format!("{base}/{endpoint}"), "api-version", &version);
        }
        let url = self.compat().url(target, &format!("/{endpoint}"));
        match &target.api_version {
            Some(v) => with_query(&url, "api-version", v),
            None => url,
        }
    }

    /// Foundry's `*.services.ai.azure.com` endpoints take the key as `api-key`.
    fn fix_auth(&self, http: &mut HttpRequest, target: &CallTarget) {
        if self.foundry
            && target.bearer.is_none()
            && target.api_base.contains("services.ai.azure.com")
            && let Some(h) = http.headers.iter_mut().find(|(k, _)| k == "authorization")
        {
            h.0 = "api-key".into();
            h.1 = target.api_key.clone().unwrap_or_default();
        }
    }
}

fn with_query(url: &str, name: &str, value: &str) -> String {
    if url.contains(&format!("{name}=")) {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{name}={value}")
}

impl Provider for Azure {
    fn id(&self) -> &str {
        if self.foundry { "azure_ai" } else { "azure" }
    }

    fn supports_openai_param(&self, model: &str, name: &str) -> bool {
        self.compat().supports_openai_param(model, name)
    }

    fn build_chat(&self, req: &ChatRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let mut http = self.compat().build_chat(req, target)?;
        http.url = self.url(target, &req.model, "chat/completions");
        self.fix_auth(&mut http, target);
        Ok(http)
    }

    fn parse_chat(&self, body: &[u8], req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        self.compat().parse_chat(body, req)
    }

    fn parse_chat_event(
        &self,
        state: &mut StreamState,
        event: Option<&str>,
        data: &str,
    ) -> Result<Vec<ChatChunk>, LlmError> {
        // Azure sends a first chunk with `choices: []` and `prompt_filter_results`; it is kept.
        self.compat().parse_chat_event(state, event, data)
    }

    fn chat_event_as_is(&self, state: &mut StreamState, event: Option<&str>, data: &str) -> Option<super::AsIs> {
        self.compat().chat_event_as_is(state, event, data)
    }

    fn build_embedding(&self, req: &EmbeddingRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let mut http = self.compat().build_embedding(req, target)?;
        http.url = self.url(target, &req.model, "embeddings");
        self.fix_auth(&mut http, target);
        Ok(http)
    }

    fn parse_embedding(&self, body: &[u8], req: &EmbeddingRequest) -> Result<EmbeddingResponse, LlmError> {
        self.compat().parse_embedding(body, req)
    }

    /// `azure/` deployments are chat models: litellm sends text completions to them through chat
    /// (only `azure_text/` speaks the legacy `/completions`).
    fn supports_text_completion(&self) -> bool {
        false
    }

    fn build_text_completion(&self, req: &TextCompletionRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let mut http = self.compat().build_text_completion(req, target)?;
        http.url = self.url(target, &req.model, "completions");
        Ok(http)
    }

    fn parse_text_completion(&self, body: &[u8]) -> Result<TextCompletionResponse, LlmError> {
        self.compat().parse_text_completion(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(base: &str) -> CallTarget {
        CallTarget { api_base: base.into(), api_key: Some("az-key".into()), ..CallTarget::default() }
    }

    fn req() -> ChatRequest {
        serde_json::from_value(json!({"model": "my-gpt4o", "messages": [{"role": "user", "content": "hi"}]})).unwrap()
    }

    #[test]
    fn deployment_url_api_version_and_key_header() {
        let az = Azure { foundry: false };
        let http = az.build_chat(&req(), &target("https://res.openai.azure.com/")).unwrap();
        assert_eq!(
            http.url,
            "https://res.openai.azure.com/openai/deployments/my-gpt4o/chat/completions?api-version=2025-02-01-preview"
        );
        assert!(http.headers.contains(&("api-key".into(), "az-key".into())));
        let mut t = target("https://res.openai.azure.com/openai");
        t.api_version = Some("2024-10-21".into());
        let http = az.build_chat(&req(), &t).unwrap();
        assert_eq!(
            http.url,
            "https://res.openai.azure.com/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21"
        );
    }

    #[test]
    fn entra_token_replaces_the_key() {
        let mut t = target("https://res.openai.azure.com");
        t.api_key = None;
        t.bearer = Some("eyJ0eXAi".into());
        let http = Azure { foundry: false }.build_chat(&req(), &t).unwrap();
        assert!(http.headers.contains(&("authorization".into(), "Bearer eyJ0eXAi".into())));
        assert!(!http.headers.iter().any(|(k, _)| k == "api-key"));
    }

    #[test]
    fn foundry_urls() {
        let f = Azure { foundry: true };
        let http = f.build_chat(&req(), &target("https://proj.services.ai.azure.com")).unwrap();
        assert_eq!(
            http.url,
            "https://proj.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview"
        );
        assert!(http.headers.contains(&("api-key".into(), "az-key".into())));
        let http = f.build_chat(&req(), &target("https://my-endpoint.eastus2.inference.ml.azure.com/v1")).unwrap();
        assert_eq!(http.url, "https://my-endpoint.eastus2.inference.ml.azure.com/v1/chat/completions");
        assert!(http.headers.contains(&("authorization".into(), "Bearer az-key".into())));
    }

    #[test]
    fn embeddings_go_to_the_deployment() {
        let r: EmbeddingRequest = serde_json::from_value(json!({"model": "emb", "input": ["a"]})).unwrap();
        let http = Azure { foundry: false }.build_embedding(&r, &target("https://res.openai.azure.com")).unwrap();
        assert_eq!(
            http.url,
            "https://res.openai.azure.com/openai/deployments/emb/embeddings?api-version=2025-02-01-preview"
        );
    }
}
