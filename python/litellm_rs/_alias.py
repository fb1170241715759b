"""``install_as_litellm()``: make ``import litellm`` (and ``import litellm.<sub>.<mod>``) give
litellm_rs's own modules, so that frameworks which import litellm internally (LangChain, DSPy,
CrewAI, smolagents, instructor, openai-agents, llama-index) run on litellm_rs unchanged.

How it works: ``sys.modules["litellm"]`` becomes the ``litellm_rs`` package, and a finder at the
front of ``sys.meta_path`` answers every ``litellm.X`` import with the already-imported module
``litellm_rs.X`` — the same module object under two names, so each class exists once and
``isinstance`` holds whichever name the framework imported it by. A submodule litellm_rs does not
provide raises ``ModuleNotFoundError`` naming it: there is never a silent fallback to the real
litellm, even when it is installed too. The response and exception classes report
``litellm.types.utils`` / ``litellm.exceptions`` as their module while the alias is on, so pickles
(DSPy's disk cache) name them the way litellm's own would.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = ["ENV_SWITCH", "install_as_litellm", "is_installed", "uninstall_as_litellm"]

ENV_SWITCH = "LITELLM_RS_AS_LITELLM"
_NAME = "litellm"
_TARGET = "litellm_rs"
_PREFIX = _NAME + "."

# modules whose classes are given litellm's module names while the alias is on (pickles name them so)
_RENAMED = {
    "litellm_rs.types.utils": "litellm.types.utils",
    "litellm_rs.exceptions": "litellm.exceptions",
}
_saved_module_names: dict[type, str] = {}


class _AliasLoader(importlib.abc.Loader):
    """Returns the already-imported ``litellm_rs.X`` module for ``litellm.X``, leaving its own
    ``__spec__`` (and so its name, package and relative imports) untouched."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self._spec = module.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self._module

    def exec_module(self, module: ModuleType) -> None:
        # the import system set __spec__ to the alias spec; the module keeps its real one
        module.__spec__ = self._spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Answers ``litellm.X`` imports with ``litellm_rs.X``."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_PREFIX):
            return None
        real = _TARGET + fullname[len(_NAME) :]
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as exc:
            if exc.name is not None and exc.name != real and not real.startswith(exc.name + "."):
                raise  # a dependency of the module is missing: that error is the useful one
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: litellm_rs is installed as litellm "
                f"(install_as_litellm) and does not provide {fullname!r}",
                name=fullname,
            ) from None
        is_package = hasattr(module, "__path__")
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(module), is_package=is_package)


_finder = _AliasFinder()


def is_installed() -> bool:
    """Whether ``import litellm`` gives litellm_rs in this process."""
    return sys.modules.get(_NAME) is sys.modules.get(_TARGET) and _finder in sys.meta_path


def _rename_classes(to_litellm: bool) -> None:
    for real, alias in _RENAMED.items():
        module = sys.modules[real]
        for value in vars(module).values():
            if not isinstance(value, type):
                continue
            if to_litellm and value.__module__ == real:
                _saved_module_names[value] = real
                value.__module__ = alias
            elif not to_litellm and value in _saved_module_names:
                value.__module__ = _saved_module_names.pop(value)


def install_as_litellm() -> ModuleType:
    """Make ``import litellm`` anywhere in this process give litellm_rs.

    Call it before anything imports litellm (at the top of the program, or set the environment
    variable ``LITELLM_RS_AS_LITELLM=1``, or run ``python -m litellm_rs.alias program.py``).
    Raises ``RuntimeError`` when the real litellm was imported already: objects made from it
    would be mixed with litellm_rs's. Calling it again is harmless. Returns the package."""
    package = importlib.import_module(_TARGET)
    current = sys.modules.get(_NAME)
    if current is package and _finder in sys.meta_path:
        return package
    if current is not None and current is not package:
        where = getattr(current, "__file__", None) or "an unknown location"
        raise RuntimeError(
            "litellm_rs.install_as_litellm(): the real litellm is already imported "
            f"(from {where}); call install_as_litellm() before anything imports litellm, "
            f"or set {ENV_SWITCH}=1 in the environment"
        )
    stale = [name for name in sys.modules if name.startswith(_PREFIX)]
    if stale:
        raise RuntimeError(
            "litellm_rs.install_as_litellm(): litellm submodules are already imported "
            f"({', '.join(sorted(stale)[:3])}); call install_as_litellm() before anything imports litellm"
        )
    for real in _RENAMED:  # loaded now, so that they are registered below before their classes are renamed
        importlib.import_module(real)
    sys.meta_path.insert(0, _finder)
    sys.modules[_NAME] = package
    # the submodules already loaded are registered under their litellm names now, so that
    # ``sys.modules["litellm.types.utils"]`` is set before anyone imports it
    for name, module in list(sys.modules.items()):
        if name.startswith(_TARGET + ".") and module is not None:
            sys.modules.setdefault(_NAME + name[len(_TARGET) :], module)
    _rename_classes(True)
    package._installed_as_litellm = True  # type: ignore[attr-defined]
    return package


def uninstall_as_litellm() -> None:
    """Undo ``install_as_litellm()`` (for tests): ``import litellm`` finds the real one again."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    package = sys.modules.get(_TARGET)
    for name in [n for n in sys.modules if n == _NAME or n.startswith(_PREFIX)]:
        if package is not None and sys.modules[name] is sys.modules.get(_TARGET + name[len(_NAME) :]):
            del sys.modules[name]
    if _saved_module_names:
        _rename_classes(False)
    if package is not None:
        package.__dict__.pop("_installed_as_litellm", None)


def _spec_for(fullname: str) -> importlib.machinery.ModuleSpec | None:
    """The spec of ``litellm`` or ``litellm.X`` once the alias is installed (for the lazy start-up
    hook, which answers the first import of litellm)."""
    if fullname == _NAME:
        return importlib.machinery.ModuleSpec(_NAME, _AliasLoader(sys.modules[_NAME]), is_package=True)
    return _finder.find_spec(fullname)


def _env_enabled(environ: Any = os.environ) -> bool:
    return str(environ.get(ENV_SWITCH, "")).strip().lower() in ("1", "true", "yes", "on")


def _install_from_env() -> None:
    """The startup hook (``litellm_rs_alias.pth``): installs the alias when the switch is set."""
    if _env_enabled():
        install_as_litellm()
