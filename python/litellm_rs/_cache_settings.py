"""litellm's module-level cache switches: ``enable_cache``, ``update_cache``, ``disable_cache``."""
# ruff: noqa: UP045 (annotations stay evaluable on Python 3.9: typing.get_type_hints)

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["disable_cache", "enable_cache", "update_cache"]


def enable_cache(
    type: str = "local",
    host: Optional[str] = None,
    port: Any = None,
    password: Optional[str] = None,
    supported_call_types: Optional[list] = None,
    **kwargs: Any,
) -> None:
    """Turns the response cache on for every call (``litellm_rs.cache = Cache(...)``)."""
    from .caching import Cache

    pkg = sys.modules[__package__]
    pkg.cache = Cache(
        type=type, host=host, port=port, password=password, supported_call_types=supported_call_types, **kwargs
    )


def update_cache(
    type: str = "local",
    host: Optional[str] = None,
    port: Any = None,
    password: Optional[str] = None,
    supported_call_types: Optional[list] = None,
    **kwargs: Any,
) -> None:
    """Replaces the response cache with one of these settings."""
    enable_cache(
        type=type, host=host, port=port, password=password, supported_call_types=supported_call_types, **kwargs
    )


def disable_cache() -> None:
    """Turns the response cache off."""
    pkg = sys.modules[__package__]
    pkg.cache = None
