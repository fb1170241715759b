use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Extra, Message, is_empty_map};

/// OpenAI's chat completion parameters (besides model and messages). A provider that does not
/// take one of these raises UnsupportedParamsError (or drops it under drop_params); any other
/// parameter is provider-specific and passes through.
pub const OPENAI_CHAT_PARAMS: &[&str] = &[
    "stream",
    "stream_options",
    "temperature",
    "top_p",
    "n",
    "stop",
    "max_tokens",
    "max_completion_tokens",
    "modalities",
    "prediction",
    "audio",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "user",
    "reasoning_effort",
    "verbosity",
    "response_format",
    "seed",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "logprobs",
    "top_logprobs",
    "web_search_options",
    "functions",
    "function_call",
    "safety_identifier",
    "service_tier",
    "store",
    "prompt_cache_key",
    "prompt_cache_retention",
    "metadata",
];

/// A chat completion request: OpenAI's parameters, typed where translation needs them, and any
/// provider-specific extra (`top_k`, `num_ctx`, ...) kept in `extra`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    /// The remaining OpenAI parameters (presence_penalty, seed, user, logprobs, reasoning_effort,
    /// ...) and provider-specific ones, passed through in the caller's order.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ChatRequest {
    pub fn is_stream(&self) -> bool {
        self.stream.unwrap_or(false)
    }

    pub fn include_usage(&self) -> bool {
        self.stream_options.as_ref().and_then(|o| o.include_usage).unwrap_or(false)
    }

    /// Names of the parameters that are set, for unsupported-parameter checks.
    pub fn set_params(&self) -> impl Iterator<Item = &str> {
        let typed = [
            ("stream_options", self.stream_options.is_some()),
            ("temperature", self.temperature.is_some()),
            ("top_p", self.top_p.is_some()),
            ("n", self.n.is_some()),
            ("stop", self.stop.is_some()),
            ("max_tokens", self.max_tokens.is_some()),
            ("max_completion_tokens", self.max_completion_tokens.is_some()),
            ("tools", self.tools.is_some()),
            ("tool_choice", self.tool_choice.is_some()),
            ("response_format", self.response_format.is_some()),
        ];
        typed.into_iter().filter(|(_, set)| *set).map(|(n, _)| n).chain(self.extra.keys().map(String::as_str))
    }

    /// Removes a parameter by name (typed or extra).
    pub fn remove_param(&mut self, name: &str) {
        match name {
            "stream_options" => self.stream_options = None,
            "temperature" => self.temperature = None,
            "top_p" => self.top_p = None,
            "n" => self.n = None,
            "stop" => self.stop = None,
            "max_tokens" => self.max_tokens = None,
            "max_completion_tokens" => self.max_completion_tokens = None,
            "tools" => self.tools = None,
            "tool_choice" => self.tool_choice = None,
            "response_format" => self.response_format = None,
            _ => {
                self.extra.shift_remove(name);
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    #[serde(flatten, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// A tool definition (`{"type": "function", "function": {...}}`, or a provider's built-in tool).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    #[serde(rename = "type", default = "super::message::function_type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<Value>,
    #[serde(flatten, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}
