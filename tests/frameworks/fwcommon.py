"""Shared by the framework programs: each runs in a fresh interpreter, started by
tests/python/test_frameworks.py, against the mock server named by ``MOCK_BASE``.

How litellm_rs takes the place of litellm is chosen by the test through ``FW_ALIAS``:
``env`` (the ``LITELLM_RS_AS_LITELLM=1`` start-up hook, already active when this runs),
``call`` (``litellm_rs.install_as_litellm()`` at the top of the program), ``runner``
(``python -m litellm_rs.alias program.py``) or ``none`` (the real litellm, as the reference the
same program's results are compared with)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

MOCK_BASE = os.environ.get("MOCK_BASE", "http://127.0.0.1:9/v1")
MOCK_KEY = "sk-mock-framework-key"
QUESTION = "What is the weather in Paris?"


def alias_on() -> None:
    """Installs the alias the way the test asked, then checks that litellm is litellm_rs."""
    mode = os.environ.get("FW_ALIAS")
    if mode == "none":  # the reference run: the real litellm, for the differential comparison
        return
    if mode == "call":
        import litellm_rs

        litellm_rs.install_as_litellm()
    check_alias()


def check_alias() -> None:
    import litellm
    import litellm_rs

    if litellm is not litellm_rs:
        raise SystemExit(f"litellm is not litellm_rs here: {litellm!r}")


def get_weather(city: str) -> str:
    """Get the current weather in a city.

    Args:
        city: The city to get the weather for.
    """
    return f"Sunny, 22 degrees in {city}"


def emit(result: dict[str, Any]) -> None:
    import litellm

    result["litellm_module"] = getattr(litellm, "__name__", "?")
    result["litellm_file"] = getattr(litellm, "__file__", "?")
    result["modules"] = sorted(name for name in sys.modules if name == "litellm" or name.startswith("litellm."))
    # on a line of its own: a framework may have left its console output without a line end
    print("\nRESULT " + json.dumps(result, default=str), flush=True)
