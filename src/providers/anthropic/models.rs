//! What differs between Claude model families: the default `max_tokens` (required by the API),
//! thinking style, and sampling parameters.
//!
//! Sources: litellm 1.110.2's model map (`model_prices_and_context_window_backup.json`,
//! `max_output_tokens`, `supports_adaptive_thinking`, `supports_reasoning`) for the families it
//! lists (Claude 4.5 and later); Anthropic's model overview (max output per model) for the older
//! families litellm's bundled map no longer carries.

/// The model name lowercased with `.` and `_` spelled `-` (`claude-opus-4.6` -> `claude-opus-4-6`).
fn norm(model: &str) -> String {
    model.to_ascii_lowercase().replace(['.', '_'], "-")
}

fn any_of(m: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| m.contains(n))
}

/// Claude 4.6 and later: adaptive thinking (`thinking: {type: adaptive}` + `output_config.effort`).
const ADAPTIVE: &[&str] =
    &["opus-4-6", "opus-4-7", "opus-4-8", "sonnet-4-6", "sonnet-5", "opus-5", "haiku-5", "fable", "mythos"];

/// Whether the model uses adaptive thinking (litellm's `supports_adaptive_thinking`).
pub fn is_adaptive_thinking(model: &str) -> bool {
    any_of(&norm(model), ADAPTIVE)
}

/// Whether the model accepts `thinking` / `reasoning_effort` (litellm: `supports_reasoning`, or
/// `claude-3-7-sonnet`). Claude 3.0/3.5 and older do not.
pub fn supports_reasoning(model: &str) -> bool {
    let m = norm(model);
    if m.contains("3-7-sonnet") {
        return true;
    }
    !any_of(&m, &["claude-3-", "claude-2", "claude-instant"])
}

/// Whether the model takes native structured outputs (`output_format`): Claude 4.5 and later
/// (litellm's `supports_native_structured_output`).
pub fn supports_native_structured_output(model: &str) -> bool {
    let m = norm(model);
    any_of(&m, ADAPTIVE) || any_of(&m, &["opus-4-5", "sonnet-4-5", "haiku-4-5"])
}

/// Claude Opus 4.7+ and Fable removed `top_p` / `top_k` and any `temperature` other than 1
/// (litellm's `_supports_sampling_params` fallback list).
pub fn supports_sampling(model: &str) -> bool {
    !any_of(&norm(model), &["fable", "opus-4-7", "opus-4-8"])
}

/// The `max_tokens` sent when the caller gives none: the model's maximum output (what litellm
/// sends, from its model map), 4096 for a model we do not know (litellm's historical default;
/// every Claude model accepts it).
pub fn default_max_tokens(model: &str) -> u64 {
    let m = norm(model);
    if any_of(&m, ADAPTIVE) {
        128_000
    } else if any_of(&m, &["opus-4-5", "sonnet-4-5", "haiku-4-5"]) {
        64_000
    } else if any_of(&m, &["opus-4", "claude-4-opus"]) {
        32_000
    } else if any_of(&m, &["sonnet-4", "claude-4-sonnet", "3-7-sonnet"]) {
        64_000
    } else if any_of(&m, &["3-5-sonnet", "3-5-haiku"]) {
        8_192
    } else {
        4_096
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_max_tokens_per_family() {
        let cases = [
            ("claude-opus-4-6", 128_000),
            ("claude-sonnet-4-6", 128_000),
            ("claude-opus-4.7", 128_000),
            ("claude-sonnet-4-5-20250929", 64_000),
            ("claude-haiku-4-5", 64_000),
            ("claude-opus-4-5-20251101", 64_000),
            ("claude-opus-4-1-20250805", 32_000),
            ("claude-opus-4-20250514", 32_000),
            ("claude-sonnet-4-20250514", 64_000),
            ("claude-3-7-sonnet-20250219", 64_000),
            ("claude-3-5-sonnet-20241022", 8_192),
            ("claude-3-5-haiku-20241022", 8_192),
            ("claude-3-haiku-20240307", 4_096),
            ("claude-3-opus-20240229", 4_096),
            ("claude-something-new", 4_096),
        ];
        for (m, want) in cases {
            assert_eq!(default_max_tokens(m), want, "{m}");
        }
    }

    #[test]
    fn capabilities() {
        assert!(supports_reasoning("claude-3-7-sonnet-latest"));
        assert!(supports_reasoning("claude-sonnet-4-5"));
        assert!(!supports_reasoning("claude-3-5-sonnet-20240620"));
        assert!(is_adaptive_thinking("claude-opus-4-6"));
        assert!(!is_adaptive_thinking("claude-opus-4-5"));
        assert!(!supports_sampling("claude-opus-4-7"));
        assert!(supports_sampling("claude-sonnet-4-5"));
    }
}
