"""Helpers litellm keeps under ``litellm.litellm_core_utils`` that frameworks import."""
