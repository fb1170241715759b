"""The start-up hook of ``LITELLM_RS_AS_LITELLM=1`` (run by ``litellm_rs_alias.pth``).

It only puts a finder in front of ``sys.meta_path`` that waits for the first ``import litellm``
(or ``import litellm.<sub>``): then, and only then, litellm_rs is loaded and installed as litellm.
A process with the switch on that never imports litellm does not load litellm_rs at all.
"""

from __future__ import annotations

import sys


class _FirstImport:
    """Answers the first import of litellm by installing litellm_rs under its name."""

    @staticmethod
    def find_spec(fullname: str, path: object = None, target: object = None) -> object:
        if fullname != "litellm" and not fullname.startswith("litellm."):
            return None
        uninstall()
        from litellm_rs import _alias

        _alias.install_as_litellm()
        return _alias._spec_for(fullname)


def install() -> None:
    """Puts the finder in place (once)."""
    if not any(f is _FirstImport for f in sys.meta_path):
        sys.meta_path.insert(0, _FirstImport)  # type: ignore[arg-type]


def uninstall() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if f is not _FirstImport]
