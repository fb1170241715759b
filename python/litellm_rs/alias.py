"""Run a program with ``import litellm`` giving litellm_rs, without changing its code::

    python -m litellm_rs.alias program.py [args...]
    python -m litellm_rs.alias -m package.module [args...]

The same as adding ``import litellm_rs; litellm_rs.install_as_litellm()`` at the top of the
program. (Setting ``LITELLM_RS_AS_LITELLM=1`` in the environment does it for every Python process
started with it, through the ``litellm_rs_alias.pth`` start-up hook the package installs.)"""

from __future__ import annotations

import os
import runpy
import sys

from ._alias import ENV_SWITCH, install_as_litellm, is_installed, uninstall_as_litellm

__all__ = ["ENV_SWITCH", "install_as_litellm", "is_installed", "main", "uninstall_as_litellm"]

_USAGE = "usage: python -m litellm_rs.alias (program.py | -m module) [args...]"


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not args else sys.stdout)
        raise SystemExit(2 if not args else 0)
    install_as_litellm()
    if args[0] == "-m":
        if len(args) < 2:
            print(_USAGE, file=sys.stderr)
            raise SystemExit(2)
        sys.argv = args[1:]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = args
        sys.path[0] = os.path.dirname(os.path.abspath(args[0]))  # as ``python program.py`` sets it
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()
