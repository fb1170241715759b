"""Python-side logging, with litellm's logger names (imported only when debug output is wanted)."""

from __future__ import annotations

import logging
import sys

verbose_logger = logging.getLogger("LiteLLM")
verbose_router_logger = logging.getLogger("LiteLLM Router")
verbose_proxy_logger = logging.getLogger("LiteLLM Proxy")

_LOGGERS = (verbose_logger, verbose_router_logger, verbose_proxy_logger)
_handler: logging.Handler | None = None


def _ensure_handler() -> None:
    global _handler
    if _handler is not None:
        return
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s - %(name)s:%(levelname)s: %(message)s"))
    for logger in _LOGGERS:
        logger.addHandler(_handler)


def _turn_on_debug() -> None:
    """Debug output from the litellm_rs loggers and the engine (requests and answers, with
    credentials redacted) on stderr."""
    _ensure_handler()
    for logger in _LOGGERS:
        logger.setLevel(logging.DEBUG)
    from . import _core

    _core.set_log_level("DEBUG")


def _set_level(level: str) -> None:
    value = logging.getLevelName(str(level).upper())
    if isinstance(value, int):
        _ensure_handler()
        for logger in _LOGGERS:
            logger.setLevel(value)
        from . import _core

        _core.set_log_level(str(level).upper())


def print_verbose(message: str) -> None:
    """Print ``message`` when ``litellm_rs.set_verbose`` is on (litellm's helper)."""
    import litellm_rs

    if litellm_rs.set_verbose:
        print(message)
    verbose_logger.debug(message)
