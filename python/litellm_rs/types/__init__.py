"""Type modules, mirroring litellm's ``litellm.types`` package (``litellm_rs.types.utils`` holds the
response types). Importing this package alone loads nothing heavy; ``litellm_rs.types.utils`` (and
the other submodules) load on first attribute access, as ``litellm.types.utils.X`` is written."""

from __future__ import annotations

_SUBMODULES = frozenset(("utils", "llms"))


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        from importlib import import_module

        return import_module("." + name, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
