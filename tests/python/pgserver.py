"""A real PostgreSQL server on 127.0.0.1 for the tests that need one (started per test session,
from Debian's postgresql package: initdb into a temporary directory, then postgres on a free
port; run as the package's `postgres` user when the tests run as root, which PostgreSQL refuses)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid

from mockserver import free_port


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise FileNotFoundError(name)


def required() -> bool:
    """Under the test command (scripts/test.sh installs postgresql) the PostgreSQL tests must run."""
    return bool(os.environ.get("LITELLM_RS_REQUIRE_POSTGRES"))


class PostgresServer:
    def __init__(self) -> None:
        initdb, postgres = _binary("initdb"), _binary("postgres")
        self._createdb = _binary("createdb")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="litellm-rs-pg-")
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._data = os.path.join(self.dir, "data")
        self._postgres = postgres
        subprocess.run(
            [*self._as, initdb, "-D", self._data, "-U", "litellm", "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
        )
        self._start()

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            [*self._as, self._postgres, "-D", self._data, "-p", str(self.port), "-k", self.dir, "-h", "127.0.0.1"]
            + ["-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        ready = _binary("pg_isready")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            probe = [ready, "-h", "127.0.0.1", "-p", str(self.port), "-U", "litellm"]
            if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("postgres did not start")

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        subprocess.run(
            [*self._as, self._createdb, "-h", "127.0.0.1", "-p", str(self.port), "-U", "litellm", name],
            check=True,
            capture_output=True,
        )
        return f"postgresql://litellm@127.0.0.1:{self.port}/{name}"

    def pause(self) -> None:
        """Stops the server, keeping its data (an outage); `resume` starts it again. A fast
        shutdown (pg_ctl -m fast): the clients' connections are cut, as in a real outage."""
        pg_ctl = _binary("pg_ctl")
        subprocess.run(
            [*self._as, pg_ctl, "stop", "-D", self._data, "-m", "fast", "-w"], check=True, capture_output=True
        )
        self.proc.wait(timeout=20)

    def resume(self) -> None:
        self._start()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
