"""The ``"prometheus"`` callback's metrics, in the Prometheus text exposition format.

Put ``"prometheus"`` in ``litellm_rs.callbacks`` and every finished call updates litellm's metric
names (``litellm_deployment_total_requests_total``, ``litellm_spend_metric_total``,
``litellm_input_tokens_metric_total``, ``litellm_llm_api_latency_metric``, ...); serve
``generate_latest()`` from any HTTP endpoint (with ``CONTENT_TYPE_LATEST``) for Prometheus to scrape.
"""

from __future__ import annotations

from .. import _core

__all__ = ["CONTENT_TYPE_LATEST", "generate_latest", "metrics_text"]

CONTENT_TYPE_LATEST = "text/plain; version=0.0.4; charset=utf-8"


def metrics_text() -> str:
    """Every metric as text."""
    return _core.prometheus_metrics()


def generate_latest() -> bytes:
    """Every metric as UTF-8 bytes (``prometheus_client.generate_latest``'s shape)."""
    return _core.prometheus_metrics().encode("utf-8")
