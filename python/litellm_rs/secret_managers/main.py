"""``get_secret`` and friends, as litellm names them. litellm_rs reads secrets from the
environment; values written ``os.environ/NAME`` are looked up by that name."""

from __future__ import annotations

import os

__all__ = ["get_secret", "get_secret_bool", "get_secret_str", "str_to_bool"]

_ENV_PREFIX = "os.environ/"


def str_to_bool(value: str | None) -> bool | None:
    """``"true"``/``"false"`` (any case, surrounding blanks ignored) as a bool; anything else None."""
    if value is None:
        return None
    text = value.strip().lower()
    if text == "true":
        return True
    if text == "false":
        return False
    return None


def get_secret(secret_name: str, default_value: str | bool | None = None) -> str | bool | None:
    """The secret's value from the environment, or ``default_value`` when it is not set."""
    secret_name = secret_name.removeprefix(_ENV_PREFIX)
    value = os.environ.get(secret_name)
    return default_value if value is None else value


def get_secret_str(secret_name: str, default_value: str | bool | None = None) -> str | None:
    """``get_secret`` as a string (None when it is not set or not a string)."""
    value = get_secret(secret_name, default_value)
    return value if isinstance(value, str) else None


def get_secret_bool(secret_name: str, default_value: bool | None = None) -> bool | None:
    """``get_secret`` as a bool: True/False for "true"/"false", None when unset or anything else."""
    value = get_secret(secret_name, default_value)
    if value is None or isinstance(value, bool):
        return value
    return str_to_bool(str(value))
