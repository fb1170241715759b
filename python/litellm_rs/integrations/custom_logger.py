"""``CustomLogger``: subclass it and put an instance in ``litellm_rs.callbacks`` to hook into every call.

Every hook is optional. Sync hooks of sync calls run on a background thread, never on the call's
path; async hooks of async calls run as tasks on the caller's event loop. A hook that raises is
logged and never reaches the call. Only the hooks a subclass overrides are ever called.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CustomLogger"]


class CustomLogger:
    """Base class of callback handlers, with litellm's SDK hook names and signatures."""

    def __init__(self, turn_off_message_logging: bool = False, message_logging: bool = True, **kwargs: Any) -> None:
        self.turn_off_message_logging = turn_off_message_logging
        self.message_logging = message_logging

    # -- before the call ------------------------------------------------------------------------
    def log_pre_api_call(self, model: Any, messages: Any, kwargs: Any) -> None:
        pass

    async def async_log_pre_api_call(self, model: Any, messages: Any, kwargs: Any) -> None:
        pass

    async def async_pre_request_hook(self, model: str, messages: list, kwargs: dict) -> dict | None:
        """Return a dict of call kwargs to replace the request's (``model``, ``messages``, parameters)."""
        return None

    # -- after the call -------------------------------------------------------------------------
    def log_post_api_call(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        pass

    def log_stream_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        pass

    async def async_log_stream_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        pass

    def log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        pass

    def log_failure_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        pass

    async def async_log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        pass

    async def async_log_failure_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        pass

    # -- the adapters litellm keeps on the class for plain-function callbacks -------------------
    def log_input_event(self, model: Any, messages: Any, kwargs: Any, print_verbose: Any, callback_func: Any) -> None:
        kwargs["model"] = model
        kwargs["messages"] = messages
        kwargs["log_event_type"] = "pre_api_call"
        callback_func(kwargs)

    def log_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any, print_verbose: Any, callback_func: Any
    ) -> None:
        kwargs["log_event_type"] = "post_api_call"
        callback_func(kwargs, response_obj, start_time, end_time)

    async def async_log_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any, print_verbose: Any, callback_func: Any
    ) -> None:
        kwargs["log_event_type"] = "post_api_call"
        await callback_func(kwargs, response_obj, start_time, end_time)
