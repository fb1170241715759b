"""The start-up hook of ``LITELLM_RS_AS_LITELLM=1`` (run by ``litellm_rs_alias.pth``).

It only puts a finder in front of ``sys.meta_path`` that waits for the first ``import litellm``
(or ``import litellm.<sub>``): then, and only then, litellm_rs is loaded and installed as litellm.
A process with the switch on that never imports litellm does not load litellm_rs at all.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # no typing import at start-up
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType


class _FirstImport:
    """Answers the first import of litellm by installing litellm_rs under its name."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != "litellm" and not fullname.startswith("litellm."):
            return None
        uninstall()
        from litellm_rs import _alias

        _alias.install_as_litellm()
        return _alias._spec_for(fullname)


_finder = _FirstImport()


def install() -> None:
    """Puts the finder in place (once)."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
