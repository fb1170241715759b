"""``install_as_litellm()``, the ``LITELLM_RS_AS_LITELLM`` switch and ``python -m litellm_rs.alias``:
what ``import litellm`` gives afterwards. Each case runs in a fresh interpreter, since the alias
changes the process's import system (and the real litellm is installed beside litellm_rs here)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def run_python(code: str, *args: str, env: dict[str, str] | None = None, cwd: str | None = None) -> str:
    full_env = {k: v for k, v in os.environ.items() if k != "LITELLM_RS_AS_LITELLM"}
    full_env.update(env or {})
    proc = subprocess.run(  # noqa: PLW1510 - the return code is asserted below, with stderr
        [sys.executable, *args, "-c", textwrap.dedent(code)] if not args else [sys.executable, *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip()


def test_import_litellm_gives_litellm_rs_modules() -> None:
    out = run_python(
        """
        import litellm_rs
        litellm_rs.install_as_litellm()
        import litellm, litellm.types.utils, litellm.utils, litellm.main, litellm.exceptions
        from litellm.types.utils import ModelResponse, Message
        from litellm.litellm_core_utils.get_supported_openai_params import get_supported_openai_params
        from litellm.integrations.custom_logger import CustomLogger
        from litellm.caching.caching import Cache
        from litellm.router import Router
        import litellm_rs.types.utils as ours
        assert litellm is litellm_rs
        assert litellm.types.utils is ours and ModelResponse is ours.ModelResponse
        assert litellm.main.ModelResponse is ModelResponse and litellm.utils.Message is Message
        assert litellm.types.llms.openai.ChatCompletionAnnotation is not None
        assert Router is litellm_rs.Router and Cache is litellm_rs.Cache
        assert CustomLogger.__module__ == "litellm_rs.integrations.custom_logger"
        r = litellm.completion(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], mock_response="yo")
        assert isinstance(r, ModelResponse) and isinstance(r.choices[0].message, Message)
        assert get_supported_openai_params("gpt-4o-mini") == litellm_rs.get_supported_openai_params("gpt-4o-mini")
        litellm_rs.install_as_litellm()  # again: harmless
        print(ModelResponse.__module__, litellm.exceptions.RateLimitError.__module__, litellm.__name__)
        """
    )
    assert out == "litellm.types.utils litellm.exceptions litellm_rs"


def test_missing_names_raise_clear_errors_never_the_real_litellm() -> None:
    out = run_python(
        """
        import litellm_rs
        litellm_rs.install_as_litellm()
        try:
            import litellm.proxy.proxy_server
        except ModuleNotFoundError as e:
            print("module:", e.name, "|", e)
        try:
            from litellm import does_not_exist
        except ImportError as e:
            print("name:", e)
        import litellm, sys
        try:
            litellm.no_such_setting
        except AttributeError as e:
            print("attr:", e)
        print(any("site-packages/litellm/" in (getattr(m, "__file__", "") or "") for m in list(sys.modules.values())))
        """
    )
    lines = out.splitlines()
    assert lines[0].startswith("module: litellm.proxy.proxy_server |")
    assert "does not provide 'litellm.proxy.proxy_server'" in lines[0]
    assert "does_not_exist" in lines[1]
    assert "no_such_setting" in lines[2] and "litellm_rs" in lines[2]
    assert lines[3] == "False"


def test_refuses_when_the_real_litellm_is_already_imported() -> None:
    pytest.importorskip("litellm")  # the reference litellm (the differential extra)
    out = run_python(
        """
        import litellm
        import litellm_rs
        try:
            litellm_rs.install_as_litellm()
        except RuntimeError as e:
            print(e)
        """,
        env={"LITELLM_LOCAL_MODEL_COST_MAP": "True"},
    )
    assert "the real litellm is already imported" in out
    assert "install_as_litellm() before anything imports litellm" in out


def test_env_switch_installs_at_startup() -> None:
    """The wheel's ``litellm_rs_alias.pth`` hook reads LITELLM_RS_AS_LITELLM=1 at interpreter start,
    and loads litellm_rs only when the program imports litellm."""
    code = (
        "import sys; print('litellm_rs' in sys.modules); import litellm; print(litellm.__name__);"
        " import litellm.types.utils as u; print(u.ModelResponse.__module__)"
    )
    assert run_python(code, env={"LITELLM_RS_AS_LITELLM": "1"}).splitlines() == [
        "False",
        "litellm_rs",
        "litellm.types.utils",
    ]
    # a submodule imported first installs the alias too; find_spec (frameworks probing) as well
    sub = "import litellm.exceptions as e, litellm; print(e.RateLimitError.__module__, litellm.__name__)"
    assert run_python(sub, env={"LITELLM_RS_AS_LITELLM": "1"}) == "litellm.exceptions litellm_rs"
    probe = "import importlib.util, sys; print(importlib.util.find_spec('litellm') is not None, sys.modules['litellm'].__name__)"
    assert run_python(probe, env={"LITELLM_RS_AS_LITELLM": "1"}) == "True litellm_rs"
    off = run_python("import sys; print('litellm' in sys.modules)", env={"LITELLM_RS_AS_LITELLM": "0"})
    assert off == "False"


def test_runner_runs_a_script_and_a_module(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(
        "import sys, litellm\nfrom helper import VALUE\nprint(litellm.__name__, sys.argv[1:], VALUE, __name__)\n"
    )
    (tmp_path / "helper.py").write_text("VALUE = 7\n")
    out = run_python("", "-m", "litellm_rs.alias", str(script), "a", "--b")
    assert out == "litellm_rs ['a', '--b'] 7 __main__"
    (tmp_path / "progmod.py").write_text("import sys, litellm\nprint(litellm.__name__, sys.argv[1:])\n")
    out = run_python("", "-m", "litellm_rs.alias", "-m", "progmod", "x", cwd=str(tmp_path))
    assert out == "litellm_rs ['x']"


def test_pickles_name_litellm_types_and_load_back() -> None:
    out = run_python(
        """
        import pickle, litellm_rs
        litellm_rs.install_as_litellm()
        import litellm
        r = litellm.completion(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], mock_response="yo")
        blob = pickle.dumps(r)
        assert b"litellm.types.utils" in blob and b"litellm_rs" not in blob
        back = pickle.loads(blob)
        assert type(back) is type(r) and back.choices[0].message.content == "yo"
        assert back.usage.total_tokens == r.usage.total_tokens
        print("ok")
        """
    )
    assert out == "ok"
