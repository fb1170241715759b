//! Cost and model information: one typed usage ([`TokenUsage`]: text, cache-read, cache-write,
//! reasoning and audio buckets), one pricing function ([`price`]) over a model-map entry, and the
//! lookups litellm's `completion_cost`, `cost_per_token`, `get_model_info` and the `supports_*`
//! helpers are built on.

pub mod prices;

use std::sync::Arc;

use serde_json::{Map, Value};

pub use prices::{Entry, lookup};

use crate::types::Usage;

/// Token counts by the way they are billed. `prompt` includes the cache reads and writes and the
/// audio tokens (the canonical usage convention, also for Anthropic and Bedrock); `completion`
/// includes the reasoning, audio and image tokens (OpenAI and Gemini report them that way).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TokenUsage {
    pub prompt: u64,
    pub completion: u64,
    /// Prompt tokens read from a cache (OpenAI `cached_tokens`, Anthropic `cache_read_input_tokens`,
    /// Gemini `cachedContentTokenCount`, implicit or explicit).
    pub cache_read: u64,
    /// Prompt tokens written to a cache (Anthropic / Bedrock `cache_creation_input_tokens`), of which
    /// `cache_creation_1h` were written with a one-hour TTL.
    pub cache_creation: u64,
    pub cache_creation_1h: u64,
    pub audio_prompt: u64,
    pub reasoning: u64,
    pub audio_completion: u64,
    pub image_completion: u64,
}

fn n(v: Option<&Value>) -> u64 {
    v.and_then(Value::as_u64).unwrap_or(0)
}

impl TokenUsage {
    pub fn new(prompt: u64, completion: u64) -> Self {
        Self { prompt, completion, ..Self::default() }
    }

    /// The billing buckets of a canonical usage. Cache reads reported twice (`cached_tokens` and
    /// `cache_read_input_tokens`, as Gemini and Anthropic do) are counted once.
    pub fn from_usage(u: &Usage) -> Self {
        let pd = u.prompt_tokens_details.as_ref();
        let cd = u.completion_tokens_details.as_ref();
        let cache_read = pd.and_then(|d| d.cached_tokens).unwrap_or(0).max(n(u.extra.get("cache_read_input_tokens")));
        let cache_creation = n(u.extra.get("cache_creation_input_tokens"))
            .max(pd.map_or(0, |d| n(d.extra.get("cache_creation_tokens"))))
            .max(pd.map_or(0, |d| n(d.extra.get("cache_write_tokens"))));
        let details = pd.and_then(|d| d.extra.get("cache_creation_token_details"));
        let cache_creation_1h = details.map_or(0, |d| n(d.get("ephemeral_1h_input_tokens"))).min(cache_creation);
        Self {
            prompt: u.prompt_tokens,
            completion: u.completion_tokens,
            cache_read,
            cache_creation,
            cache_creation_1h,
            audio_prompt: pd.and_then(|d| d.audio_tokens).unwrap_or(0),
            reasoning: cd.and_then(|d| d.reasoning_tokens).unwrap_or(0),
            audio_completion: cd.and_then(|d| d.audio_tokens).unwrap_or(0),
            image_completion: cd.map_or(0, |d| n(d.extra.get("image_tokens"))),
        }
    }
}

fn f(entry: &Entry, key: &str) -> Option<f64> {
    entry.get(key).and_then(Value::as_f64)
}

/// Price lookups under a long-context tier (`_above_200k_tokens`) and a service tier (`_flex`,
/// `_priority`, `_batches`), each falling back to the plainer price.
struct Prices<'a> {
    entry: &'a Entry,
    tier: Option<String>,
    service: Option<&'a str>,
}

impl Prices<'_> {
    fn get(&self, base: &str) -> Option<f64> {
        let svc = self.service.map(|s| format!("_{s}"));
        if let Some(t) = &self.tier {
            if let Some(s) = &svc
                && let Some(v) = f(self.entry, &format!("{base}{t}{s}"))
            {
                return Some(v);
            }
            if let Some(v) = f(self.entry, &format!("{base}{t}")) {
                return Some(v);
            }
        }
        if let Some(s) = &svc
            && let Some(v) = f(self.entry, &format!("{base}{s}"))
        {
            return Some(v);
        }
        f(self.entry, base)
    }
}

/// The long-context tier in force: the highest `input_cost_per_token_above_<N>k_tokens` threshold
/// the prompt exceeds, as the key suffix (`_above_200k_tokens`).
fn tier_for(entry: &Entry, prompt_tokens: u64) -> Option<String> {
    entry
        .keys()
        .filter_map(|k| {
            let rest = k.strip_prefix("input_cost_per_token_above_")?;
            let (num, _) = rest.split_once("k_tokens")?;
            num.parse::<u64>().ok()
        })
        .filter(|k| prompt_tokens > k * 1000)
        .max()
        .map(|k| format!("_above_{k}k_tokens"))
}

/// `tiered_pricing` (a list of `{range: [lo, hi], input_cost_per_token, ...}`): the tier holding
/// the prompt size, as an entry to price with.
fn range_tier(entry: &Entry, prompt_tokens: u64) -> Option<Entry> {
    let tiers = entry.get("tiered_pricing")?.as_array()?;
    let p = prompt_tokens as f64;
    let tier = tiers.iter().find(|t| {
        let r = t.get("range").and_then(Value::as_array);
        let lo = r.and_then(|r| r.first()).and_then(Value::as_f64).unwrap_or(0.0);
        let hi = r.and_then(|r| r.get(1)).and_then(Value::as_f64).unwrap_or(f64::INFINITY);
        p >= lo && p < hi
    })?;
    let mut out = entry.clone();
    out.remove("tiered_pricing");
    for (k, v) in tier.as_object()? {
        if k != "range" {
            out.insert(k.clone(), v.clone());
        }
    }
    Some(out)
}

/// `(prompt_cost, completion_cost)` in USD of `u` under `entry`, litellm's arithmetic:
/// - prompt = (prompt − cache_read − cache_creation − audio) × input price, plus cache_read ×
///   cache-read price, plus cache_creation × cache-write price (1-hour writes at the 1-hour price),
///   plus audio × audio input price;
/// - completion = (completion − reasoning − audio − image) × output price + reasoning × reasoning
///   price + audio × audio output price + image × image output price, where a bucket without its
///   own price stays in the text tokens at the output price;
/// - above a long-context threshold (`..._above_200k_tokens`) every price switches to its tier
///   price where one exists; `service_tier` (`flex`, `priority`) picks `..._flex` / `..._priority`;
/// - a model priced per second (and not per token) is charged `response_ms` at that price.
///
/// `None` when the entry has no price for the tokens used.
pub fn price(entry: &Entry, u: &TokenUsage, service_tier: Option<&str>, response_ms: f64) -> Option<(f64, f64)> {
    let ranged = range_tier(entry, u.prompt);
    let entry = ranged.as_ref().unwrap_or(entry);
    let service = service_tier.filter(|s| matches!(*s, "flex" | "priority" | "batches"));
    let p = Prices { entry, tier: tier_for(entry, u.prompt), service };
    let input = p.get("input_cost_per_token");
    let output = p.get("output_cost_per_token");
    let secs = response_ms.max(0.0) / 1000.0;
    if input.is_none() && output.is_none() {
        let (ips, ops) = (f(entry, "input_cost_per_second"), f(entry, "output_cost_per_second"));
        if ips.is_none() && ops.is_none() {
            return None;
        }
        return Some((ips.unwrap_or(0.0) * secs, ops.unwrap_or(0.0) * secs));
    }
    let input = input.unwrap_or(0.0);
    let output = output.unwrap_or(0.0);

    let cache_read = u.cache_read.min(u.prompt);
    let cache_creation = u.cache_creation.min(u.prompt - cache_read);
    let write_1h = u.cache_creation_1h.min(cache_creation);
    let audio_in_price = p.get("input_cost_per_audio_token");
    let audio_in =
        if audio_in_price.is_some() { u.audio_prompt.min(u.prompt - cache_read - cache_creation) } else { 0 };
    let text_in = u.prompt - cache_read - cache_creation - audio_in;
    let read_price = p.get("cache_read_input_token_cost").unwrap_or(input);
    let write_price = p.get("cache_creation_input_token_cost").unwrap_or(input);
    let write_1h_price = p.get("cache_creation_input_token_cost_above_1hr").unwrap_or(write_price);
    let prompt_cost = text_in as f64 * input
        + cache_read as f64 * read_price
        + (cache_creation - write_1h) as f64 * write_price
        + write_1h as f64 * write_1h_price
        + audio_in as f64 * audio_in_price.unwrap_or(input);

    let mut rest = u.completion;
    let mut completion_cost = 0.0;
    for (tokens, key) in [
        (u.reasoning, "output_cost_per_reasoning_token"),
        (u.audio_completion, "output_cost_per_audio_token"),
        (u.image_completion, "output_cost_per_image_token"),
    ] {
        if let Some(price) = p.get(key) {
            let t = tokens.min(rest);
            rest -= t;
            completion_cost += t as f64 * price;
        }
    }
    completion_cost += rest as f64 * output;
    Some((prompt_cost, completion_cost))
}

/// Per-call pricing (litellm's `input_cost_per_token`, `output_cost_per_token`,
/// `input_cost_per_second`, `output_cost_per_second`, `base_model`, `model_info` kwargs).
#[derive(Debug, Clone, Default)]
pub struct CustomPricing {
    pub input_cost_per_token: Option<f64>,
    pub output_cost_per_token: Option<f64>,
    pub input_cost_per_second: Option<f64>,
    pub output_cost_per_second: Option<f64>,
    pub base_model: Option<String>,
    /// Overrides of the entry (`{"input_cost_per_token": ..., "base_model": ...}`).
    pub model_info: Option<Map<String, Value>>,
}

impl CustomPricing {
    pub fn is_empty(&self) -> bool {
        self.input_cost_per_token.is_none()
            && self.output_cost_per_token.is_none()
            && self.input_cost_per_second.is_none()
            && self.output_cost_per_second.is_none()
            && self.base_model.is_none()
            && self.model_info.is_none()
    }
}

/// The entry a call is priced with: the map's entry for `base_model` (from the call or its
/// `model_info`) or for `model` (then the provider's `response_model`), with the call's overrides on
/// top. `None` when nothing prices the call.
pub fn effective_entry(
    model: &str,
    provider: Option<&str>,
    custom: &CustomPricing,
    response_model: Option<&str>,
) -> Option<Arc<Entry>> {
    let info_base = custom.model_info.as_ref().and_then(|m| m.get("base_model")).and_then(Value::as_str);
    let base = custom.base_model.as_deref().or(info_base);
    let found = base
        .and_then(|b| lookup(b, provider).or_else(|| lookup(b, None)))
        .or_else(|| lookup(model, provider))
        .or_else(|| response_model.filter(|m| !m.is_empty() && *m != model).and_then(|m| lookup(m, provider)))
        .map(|(_, e)| e);
    if custom.is_empty() {
        return found;
    }
    let mut entry: Entry = found.map(|e| (*e).clone()).unwrap_or_default();
    if let Some(info) = &custom.model_info {
        for (k, v) in info {
            if !v.is_null() && (k.contains("cost") || k.starts_with("max_") || k.starts_with("supports_")) {
                entry.insert(k.clone(), v.clone());
            }
        }
    }
    let custom_token = custom.input_cost_per_token.is_some() || custom.output_cost_per_token.is_some();
    let custom_second = custom.input_cost_per_second.is_some() || custom.output_cost_per_second.is_some();
    if custom_token || custom_second {
        // Explicit per-call prices replace the map's (litellm prices such a call with them alone).
        entry.retain(|k, _| !k.contains("cost"));
    }
    for (key, value) in [
        ("input_cost_per_token", custom.input_cost_per_token),
        ("output_cost_per_token", custom.output_cost_per_token),
        ("input_cost_per_second", custom.input_cost_per_second),
        ("output_cost_per_second", custom.output_cost_per_second),
    ] {
        if let Some(v) = value.and_then(serde_json::Number::from_f64) {
            entry.insert(key.into(), Value::Number(v));
        }
    }
    if custom_token {
        for k in ["input_cost_per_token", "output_cost_per_token"] {
            entry.entry(k).or_insert(Value::from(0.0));
        }
    }
    (!entry.is_empty()).then(|| Arc::new(entry))
}

/// What a call cost: `(prompt_cost, completion_cost)` for `usage` of `model` served by `provider`.
pub fn cost_per_token(
    model: &str,
    provider: Option<&str>,
    usage: &TokenUsage,
    custom: &CustomPricing,
    service_tier: Option<&str>,
    response_ms: f64,
) -> Option<(f64, f64)> {
    let entry = effective_entry(model, provider, custom, None)?;
    price(&entry, usage, service_tier, response_ms)
}

/// The total cost of a response (`_hidden_params["response_cost"]`); `None` when the model is not
/// priced or there is no usage.
pub fn response_cost(
    model: &str,
    provider: &str,
    usage: Option<&Usage>,
    custom: &CustomPricing,
    service_tier: Option<&str>,
    response_ms: f64,
    response_model: Option<&str>,
) -> Option<f64> {
    let usage = usage?;
    let entry = effective_entry(model, Some(provider), custom, response_model)?;
    price(&entry, &TokenUsage::from_usage(usage), service_tier, response_ms)
        .map(|(p, c)| p + c + web_search_cost(&entry, usage))
}

/// The cost of generating `n` images of `size` (`1024x1024` or `1024-x-1024`; that by default)
/// and `quality` with `model`, as litellm prices them: the map's entry for the quality, size and
/// model (provider first or not, then `high/` for gpt-image models, then the model alone), priced
/// per image (`input_cost_per_image` / `output_cost_per_image`) or per pixel. Err names the keys
/// tried (or the size that is not `WxH`).
pub fn image_cost(
    model: &str,
    provider: Option<&str>,
    size: Option<&str>,
    quality: Option<&str>,
    n: u64,
) -> Result<f64, String> {
    let mut size = size.unwrap_or("1024-x-1024").to_owned();
    if size.contains('x') && !size.contains("-x-") {
        size = size.replace('x', "-x-");
    }
    let (h, w) = size
        .split_once("-x-")
        .and_then(|(h, w)| Some((h.parse::<u64>().ok()?, w.parse::<u64>().ok()?)))
        .ok_or_else(|| format!("image size {size:?} is not WIDTHxHEIGHT"))?;
    let bare = provider.and_then(|p| model.strip_prefix(&format!("{p}/")));
    let base = match (provider, bare) {
        (Some(p), Some(b)) => format!("{p}/{size}/{b}"),
        _ => format!("{size}/{model}"),
    };
    let last = model.rsplit('/').next().unwrap_or(model);
    let without_provider = format!("{size}/{last}");
    let candidates: Vec<String> = [
        Some(quality.map_or(base.clone(), |q| format!("{q}/{base}"))),
        quality.zip(provider).map(|(q, p)| format!("{p}/{q}/{size}/{}", bare.unwrap_or(model))),
        Some(base.clone()),
        Some(format!("high/{base}")),
        Some(quality.map_or(without_provider.clone(), |q| format!("{q}/{without_provider}"))),
        Some(without_provider),
        Some(model.to_owned()),
        bare.map(str::to_owned),
    ]
    .into_iter()
    .flatten()
    .collect();
    let entry = candidates
        .iter()
        .find_map(|k| prices::get(k))
        .ok_or_else(|| format!("image model {model:?} is not in the cost map (tried {candidates:?})"))?;
    let per = [("input_cost_per_image", n), ("output_cost_per_image", n), ("input_cost_per_pixel", h * w * n)];
    per.iter()
        .find_map(|(k, units)| entry.get(*k).and_then(Value::as_f64).map(|p| p * *units as f64))
        .ok_or_else(|| format!("no image price for {model:?} (tried {candidates:?})"))
}

/// What an audio call is billed by: the characters of a speech (text-to-speech) input, the
/// seconds of a transcribed file.
#[derive(Debug, Clone, Copy)]
pub enum Audio {
    Speech { characters: Option<u64> },
    Transcription { seconds: f64 },
}

/// `(prompt_cost, completion_cost)` of a speech or transcription call, litellm's arithmetic:
/// - speech: a model priced per character is charged `characters × input_cost_per_character`
///   (an error without the characters); one priced per token is charged its usage;
/// - transcription: a model with token prices is charged its usage when the usage has tokens;
///   otherwise the file's seconds at `output_cost_per_second` (when above 0, as the completion)
///   or else at `input_cost_per_second` (as the prompt).
pub fn audio_cost(entry: &Entry, audio: Audio, usage: &TokenUsage) -> Result<(f64, f64), String> {
    let by_tokens = || price(entry, usage, None, 0.0).unwrap_or((0.0, 0.0));
    match audio {
        Audio::Speech { characters } => {
            if let Some(per_char) = f(entry, "input_cost_per_character") {
                let chars = characters.ok_or("prompt_characters must be provided for tts calls")?;
                Ok((chars as f64 * per_char, 0.0))
            } else if f(entry, "input_cost_per_token").is_some() {
                Ok(by_tokens())
            } else {
                Err("the model has no 'input_cost_per_character' or 'input_cost_per_token' price".to_owned())
            }
        }
        Audio::Transcription { seconds } => {
            const TOKEN_RATES: [&str; 4] = [
                "input_cost_per_token",
                "output_cost_per_token",
                "input_cost_per_audio_token",
                "output_cost_per_audio_token",
            ];
            let per_token = TOKEN_RATES.iter().any(|k| f(entry, k).is_some());
            let (ips, ops) = (f(entry, "input_cost_per_second"), f(entry, "output_cost_per_second"));
            let has_tokens = usage.prompt > 0 || usage.completion > 0 || usage.audio_prompt > 0;
            if has_tokens && (per_token || (ips.is_none() && ops.is_none())) {
                return Ok(by_tokens());
            }
            let seconds = seconds.max(0.0);
            Ok(match (ips, ops) {
                (_, Some(o)) if o > 0.0 => (0.0, o * seconds),
                (Some(i), _) => (i * seconds, 0.0),
                _ => (0.0, 0.0),
            })
        }
    }
}

/// Whether `usage` counts the web searches of its call (then [`web_search_cost`] bills them).
pub fn usage_counts_web_searches(usage: &Usage) -> bool {
    let grounded = usage.prompt_tokens_details.as_ref().and_then(|d| d.extra.get("web_search_requests"));
    let server = usage.extra.get("server_tool_use").and_then(|s| s.get("web_search_requests"));
    grounded.or(server).and_then(Value::as_u64).is_some_and(|n| n > 0)
}

/// One web search at the entry's price for a search context size (`low`, `medium`, `high`;
/// medium when none or another is asked), 0 without a price.
pub fn web_search_call_price(entry: &Entry, size: Option<&str>) -> f64 {
    let size = size.filter(|s| matches!(*s, "low" | "medium" | "high")).unwrap_or("medium");
    entry
        .get("search_context_cost_per_query")
        .and_then(|q| q.get(format!("search_context_size_{size}").as_str()))
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
}

/// The charge for the web searches a provider reports, as litellm bills them: Gemini's and
/// Vertex AI's grounded prompts (`prompt_tokens_details.web_search_requests`), and the searches
/// Anthropic (also Claude on Vertex AI and Bedrock) and xAI count in
/// `server_tool_use.web_search_requests`, each at the entry's `search_context_cost_per_query`
/// (`search_context_size_medium`). Not in [`price`]: litellm's `cost_per_token` leaves it out
/// too, `completion_cost` adds it.
pub fn web_search_cost(entry: &Entry, usage: &Usage) -> f64 {
    let medium = entry
        .get("search_context_cost_per_query")
        .and_then(|q| q.get("search_context_size_medium"))
        .and_then(Value::as_f64);
    // Gemini and Vertex AI grounding (prompt_tokens_details.web_search_requests): one charge per
    // grounded prompt, or per search with `web_search_billing_unit: per_query`; $0.035 where the
    // map has no price yet
    let grounded = usage.prompt_tokens_details.as_ref().and_then(|d| d.extra.get("web_search_requests"));
    if let Some(n) = grounded.and_then(Value::as_u64).filter(|n| *n > 0) {
        let per_query = entry.get("web_search_billing_unit").and_then(Value::as_str) == Some("per_query");
        return medium.unwrap_or(0.035) * if per_query { n as f64 } else { 1.0 };
    }
    let searches = usage
        .extra
        .get("server_tool_use")
        .and_then(|s| s.get("web_search_requests"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    searches as f64 * medium.unwrap_or(0.0)
}

/// The capability flags litellm's `supports_*` helpers read.
pub const CAPABILITY_FLAGS: &[&str] = &[
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
    "supports_video_input",
    "supports_url_context",
    "supports_tool_search",
    "supports_computer_use",
    "supports_assistant_prefill",
];

/// The keys every `get_model_info` answer has (None when the map has no value).
pub const MODEL_INFO_KEYS: &[&str] = &[
    "max_tokens",
    "max_input_tokens",
    "max_output_tokens",
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "input_cost_per_audio_token",
    "output_cost_per_audio_token",
    "output_cost_per_reasoning_token",
    "input_cost_per_token_above_128k_tokens",
    "output_cost_per_token_above_128k_tokens",
    "input_cost_per_token_above_200k_tokens",
    "output_cost_per_token_above_200k_tokens",
    "input_cost_per_image",
    "output_cost_per_image",
    "input_cost_per_second",
    "output_cost_per_second",
    "output_vector_size",
    "litellm_provider",
    "mode",
];

/// litellm's `get_model_info`: the entry with every standard key present (None when unknown),
/// `key` (the map key found) and `max_tokens` defaulting to `max_output_tokens`.
pub fn model_info(model: &str, provider: Option<&str>) -> Option<Map<String, Value>> {
    let (key, entry) = lookup(model, provider)?;
    let mut out = Map::new();
    out.insert("key".into(), Value::String(key));
    for k in MODEL_INFO_KEYS.iter().chain(CAPABILITY_FLAGS) {
        out.insert((*k).to_owned(), Value::Null);
    }
    for (k, v) in entry.iter() {
        out.insert(k.clone(), v.clone());
    }
    if out.get("max_tokens").is_none_or(Value::is_null) {
        let fallback = entry.get("max_output_tokens").or_else(|| entry.get("max_input_tokens")).cloned();
        out.insert("max_tokens".into(), fallback.unwrap_or(Value::Null));
    }
    Some(out)
}

/// Input plus output price per token, the figure alternatives are compared on.
fn unit_price(entry: &Entry) -> Option<f64> {
    let i = f(entry, "input_cost_per_token")?;
    Some(i + f(entry, "output_cost_per_token").unwrap_or(0.0))
}

/// Models of the same mode whose capability flags include every flag `model` has, with a lower
/// input + output price per token, cheapest first: `(key, provider, input+output price)`.
pub fn cheaper_alternatives(model: &str, provider: Option<&str>) -> Option<Vec<(String, String, f64)>> {
    let (key, entry) = lookup(model, provider)?;
    let own = unit_price(&entry)?;
    let mode = entry.get("mode").and_then(Value::as_str).unwrap_or("chat");
    let flags: Vec<&str> =
        CAPABILITY_FLAGS.iter().copied().filter(|k| entry.get(*k).and_then(Value::as_bool) == Some(true)).collect();
    let mut out: Vec<(String, String, f64)> = prices::entries()
        .into_iter()
        .filter(|(k, e)| {
            *k != key
                && e.get("mode").and_then(Value::as_str).unwrap_or("chat") == mode
                && flags.iter().all(|fl| e.get(*fl).and_then(Value::as_bool) == Some(true))
        })
        .filter_map(|(k, e)| {
            let p = unit_price(&e)?;
            let prov = e.get("litellm_provider").and_then(Value::as_str).unwrap_or_default().to_owned();
            (p < own && p > 0.0).then_some((k, prov, p))
        })
        .collect();
    out.sort_by(|a, b| a.2.total_cmp(&b.2).then_with(|| a.0.cmp(&b.0)));
    Some(out)
}

/// The cost of a stream, known once its usage chunk has been seen; shared by the reader task and
/// the stream's hidden params.
pub type CostCell = Arc<std::sync::Mutex<Option<f64>>>;

/// Prices a stream's usage chunk: records the cost in the stream's [`CostCell`] and, with
/// `include_cost_in_streaming_usage`, writes it into the chunk as `usage.cost`.
#[derive(Debug, Clone, Default)]
pub struct StreamPricer {
    entry: Option<Arc<Entry>>,
    service_tier: Option<String>,
    include_in_usage: bool,
    cell: CostCell,
    /// Where the stream's total tokens go (the Router's usage windows read them at its end).
    tokens: Arc<std::sync::atomic::AtomicU64>,
}

impl StreamPricer {
    pub fn new(
        entry: Option<Arc<Entry>>,
        service_tier: Option<String>,
        include_in_usage: bool,
        cell: CostCell,
        tokens: Arc<std::sync::atomic::AtomicU64>,
    ) -> Self {
        Self { entry, service_tier, include_in_usage, cell, tokens }
    }

    /// Prices `usage` (the stream's usage chunk).
    pub fn on_usage(&self, usage: &mut Usage) {
        self.tokens.store(usage.total_tokens, std::sync::atomic::Ordering::Relaxed);
        let Some(entry) = &self.entry else { return };
        let Some((p, c)) = price(entry, &TokenUsage::from_usage(usage), self.service_tier.as_deref(), 0.0) else {
            return;
        };
        let total = p + c + web_search_cost(entry, usage);
        if let Ok(mut g) = self.cell.lock() {
            *g = Some(total);
        }
        if self.include_in_usage {
            usage.extra.insert("cost".into(), Value::from(total));
        }
    }
}
