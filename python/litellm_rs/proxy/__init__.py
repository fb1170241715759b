"""The litellm-rs proxy: an OpenAI-compatible gateway over the engine's Router, configured with
litellm's ``config.yaml`` (``model_list``, ``router_settings``, ``litellm_settings``,
``general_settings``, ``environment_variables``).

``litellm-rs --config config.yaml --port 4000`` (or ``python -m litellm_rs ...``) runs it;
``serve(...)`` runs it from Python until Ctrl-C / SIGTERM (requests in flight finish first);
``start(...)`` returns a running server (``.port``, ``.shutdown()``, ``.wait()``).
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["check_config", "serve", "start"]


def start(config: str | None = None, *, model: str | None = None, host: str = "0.0.0.0", port: int = 4000) -> Any:
    """Starts the proxy on the engine's threads and returns its handle (``port=0`` picks a free
    port: see ``.port``)."""
    from .. import _core

    return _core.ProxyServer(config, model, host, port)


def check_config(config: str) -> list:
    """Checks a config file as a start would (unknown keys, types, ``os.environ/`` variables);
    returns the model names it serves."""
    from .. import _core

    return _core.proxy_check_config(config)


def serve(
    config: str | None = None,
    *,
    model: str | None = None,
    host: str = "0.0.0.0",
    port: int = 4000,
    detailed_debug: bool = False,
) -> None:
    """Runs the proxy until Ctrl-C or SIGTERM, then stops accepting connections and lets the
    requests in flight finish (up to 30 s)."""
    import signal
    import threading

    from .. import _core

    # a server reports what it does (start, storage, Redis outages) unless LITELLM_LOG says otherwise
    _core.set_log_level("DEBUG" if detailed_debug else os.environ.get("LITELLM_LOG") or "INFO")
    server = start(config, model=model, host=host, port=port)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    # the banner is for people; with JSON logs every line on stderr is a JSON object
    banner = not _core.log_is_json()
    if banner:
        print(
            f"litellm-rs proxy: serving on http://{shown}:{server.port} (Ctrl-C to stop)", file=sys.stderr, flush=True
        )

    def _stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _stop)
    try:
        while not server.wait(0.2):
            pass
    except KeyboardInterrupt:
        if banner:
            print("litellm-rs proxy: stopping (finishing requests in flight)", file=sys.stderr, flush=True)
        server.shutdown()
        server.wait(30)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
