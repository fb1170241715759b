"""Hooks into every call: ``custom_logger.CustomLogger`` and the in-process ``prometheus`` metrics."""
