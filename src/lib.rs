//! litellm-rs: one OpenAI-shaped interface over many LLM providers, with a litellm-compatible
//! Python surface (feature `python`).
//!
//! Data flows one way: a call is normalised once at the edge into the canonical types
//! ([`types`]), goes through [`engine`] → [`providers`] (pure translation) → [`transport`]
//! (the only I/O), and comes back as canonical types that the edge renders once.

// LlmError carries everything an edge needs to render an error (status, provider, model,
// headers, body); it lives on the cold path, so results are not boxed for its size.
#![allow(clippy::result_large_err)]
// The standard logging payload is one large `json!` literal.
#![recursion_limit = "256"]

pub mod cache;
pub mod callbacks;
pub mod cost;
pub mod engine;
pub mod error;
pub mod logging;
pub mod providers;
#[cfg(feature = "proxy")]
pub mod proxy;
pub mod router;
pub mod store;
pub mod tokens;
pub mod transport;
pub mod types;
pub mod util;

#[cfg(feature = "python")]
mod python;

pub use error::{ErrorKind, LlmError};
