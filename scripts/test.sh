#!/usr/bin/env bash
# The whole test suite on a fresh machine: Rust unit/integration tests, then the Python package
# built and installed into a private virtualenv and tested with pytest against local mock servers.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${LITELLM_RS_TEST_VENV:-.venv-test}"

echo "== cargo fmt, clippy, test"
cargo fmt --check
cargo clippy --quiet --all-targets --features python,proxy -- -D warnings
cargo test --quiet --features proxy

echo "== build the wheel; install it into $VENV with the test tools, the reference litellm and the frameworks"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
WHEELS="$(mktemp -d)"
trap 'rm -rf "$WHEELS"' EXIT
"$VENV/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$WHEELS" .
WHEEL="$(ls "$WHEELS"/litellm_rs-*.whl)"
"$VENV/bin/python" -m pip install --quiet --force-reinstall --no-deps "$WHEEL"
"$VENV/bin/python" -m pip install --quiet "$WHEEL[test,differential]" -r tests/frameworks/requirements.txt

echo "== CrewAI's own virtualenv (its pins conflict with openai-agents'): ${VENV}-crewai"
python3 -m venv "${VENV}-crewai"
"${VENV}-crewai/bin/python" -m pip install --quiet --upgrade pip
"${VENV}-crewai/bin/python" -m pip install --quiet --force-reinstall --no-deps "$WHEEL"
"${VENV}-crewai/bin/python" -m pip install --quiet "$WHEEL" -r tests/frameworks/requirements-crewai.txt
LITELLM_RS_CREWAI_PYTHON="$(cd "${VENV}-crewai" && pwd)/bin/python"
export LITELLM_RS_CREWAI_PYTHON
export LITELLM_RS_REQUIRE_FRAMEWORKS=1

echo "== stubs and lint"
# the compiled module's stubs match it; the Python sources are clean
"$VENV/bin/python" -m mypy.stubtest litellm_rs._core
"$VENV/bin/ruff" check python examples tests/python tests/frameworks
"$VENV/bin/ruff" format --check python examples tests/python tests/frameworks
# the examples type-check strictly against the package's types
"$VENV/bin/python" -m mypy --strict examples

echo "== services: redis-server, and RediSearch 1.x (the Redis tests start their own on a free port)"
if ! command -v redis-server >/dev/null 2>&1 || [ ! -e /usr/lib/redis/modules/redisearch.so ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q redis-server redis-redisearch >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q redis-server redis-redisearch >/dev/null; }
fi
export LITELLM_RS_REQUIRE_REDIS=1

echo "== services: postgresql (the proxy's PostgreSQL tests start their own server on a free port)"
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q postgresql >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q postgresql >/dev/null; }
  # the package may start its default cluster: the tests do not use it
  $SUDO service postgresql stop >/dev/null 2>&1 || true
fi
export LITELLM_RS_REQUIRE_POSTGRES=1

echo "== services: chromium (the /ui test drives Debian's chromium through chromedriver and selenium)"
if [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q chromium chromium-driver >/dev/null; }
fi
export LITELLM_RS_REQUIRE_CHROMIUM=1

echo "== pytest"
set +e
"$VENV/bin/python" -m pytest tests/python -q -p no:cacheprovider
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$rc"
