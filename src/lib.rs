//! litellm-rs: one OpenAI-shaped interface over many LLM providers, with a litellm-compatible
//! Python surface (feature `python`).
//!
//! Data flows one way: a call is normalised once at the edge into the canonical types
//! ([`types`]), goes through [`engine`] → [`providers`] (pure translation) → [`transport`]
//! (the only I/O), and comes back as canonical types that the edge renders once.

pub mod engine;
pub mod error;
pub mod providers;
pub mod transport;
pub mod types;

#[cfg(feature = "python")]
mod python;

pub use error::{ErrorKind, LlmError};
