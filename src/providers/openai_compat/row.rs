//! One row of the OpenAI-compatible provider table: everything that differs between providers
//! whose wire format is OpenAI's (base URL, key variables, auth header, parameter quirks).

/// How the API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <key>`
    Bearer,
    /// `<header>: <key>` (e.g. `api-key`, `x-api-key`, `api-subscription-key`)
    Header(&'static str),
}

/// Behaviour switches for providers that bend the OpenAI wire format.
pub mod quirk {
    /// Message content given as a list of text parts is sent as one string.
    pub const CONTENT_LIST_TO_STRING: u32 = 1 << 0;
    /// The provider rejects `stream_options`; never send it.
    pub const NO_STREAM_OPTIONS: u32 = 1 << 1;
    /// `tool_choice: "required"` is spelled `"any"` (Mistral).
    pub const TOOL_CHOICE_REQUIRED_AS_ANY: u32 = 1 << 2;
    /// Consecutive assistant/system messages are not accepted; the provider needs `name` removed.
    pub const STRIP_MESSAGE_NAME: u32 = 1 << 3;
    /// The provider serves the legacy `/completions` endpoint (text_completion goes there directly).
    pub const TEXT_COMPLETIONS: u32 = 1 << 4;
    /// The provider serves `/embeddings`.
    pub const EMBEDDINGS: u32 = 1 << 5;
    /// The provider needs no API key (local servers); a missing key is not an error.
    pub const KEY_OPTIONAL: u32 = 1 << 6;
    /// Assistant messages with tool_calls must carry `content: ""` instead of null.
    pub const NULL_CONTENT_AS_EMPTY: u32 = 1 << 7;
    /// Text completions go to `/fim/completions` (Codestral's fill-in-the-middle endpoint).
    pub const FIM_COMPLETIONS: u32 = 1 << 8;
    /// Ask for usage accounting in the body (`"usage": {"include": true}`, OpenRouter) unless the
    /// caller set `usage` itself.
    pub const USAGE_INCLUDE: u32 = 1 << 9;
}

/// A provider of the OpenAI-compatible family.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// The provider id used as model prefix and `custom_llm_provider` (e.g. `"groq"`).
    pub id: &'static str,
    /// Default base URL, without the trailing `/chat/completions`. May contain `{ENV_NAME}`
    /// placeholders filled from the environment (Cloudflare's account id). Empty when the user
    /// must give one (`api_base` or one of `base_env`).
    pub base_url: &'static str,
    /// Environment variables holding the key, tried in order.
    pub key_env: &'static [&'static str],
    /// Environment variables holding an api_base override, tried in order.
    pub base_env: &'static [&'static str],
    /// Module-level setting holding the key (`litellm.groq_key`), if litellm has one.
    pub settings_key: Option<&'static str>,
    /// How the key is sent.
    pub auth: Auth,
    /// OpenAI parameter renames applied to the outgoing body (`max_completion_tokens` -> `max_tokens`).
    pub renames: &'static [(&'static str, &'static str)],
    /// OpenAI parameters this provider does not take: dropped under `drop_params`, otherwise
    /// `UnsupportedParamsError`.
    pub unsupported: &'static [&'static str],
    /// Fixed extra headers sent on every request.
    pub headers: &'static [(&'static str, &'static str)],
    /// Hosts (with optional path prefix) that identify this provider from an `api_base`
    /// (e.g. `"api.groq.com/openai/v1"`).
    pub hosts: &'static [&'static str],
    /// Bit set of `quirk::*`.
    pub quirks: u32,
}

impl Row {
    pub const fn has(&self, q: u32) -> bool {
        self.quirks & q != 0
    }
}
