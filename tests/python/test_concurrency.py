"""Threads, the GIL, fork and Ctrl-C: the sync API in real programs."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import litellm_rs
import pytest
from support import KEY, chat

posix_only = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32", reason="needs POSIX fork/signals")


def _echo(mock):
    mock.chat_text = lambda body: "echo: " + body["messages"][-1]["content"]


def test_sixteen_threads_at_once(mock):
    _echo(mock)
    mock.delay = 0.2
    barrier = threading.Barrier(16)

    def work(i):
        barrier.wait()
        return chat(mock, messages=[{"role": "user", "content": f"thread {i}"}]).choices[0].message.content

    t0 = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(work, range(16)))
    elapsed = time.monotonic() - t0

    assert results == [f"echo: thread {i}" for i in range(16)]
    assert mock.count() == 16
    assert elapsed < 2.5, f"16 threads x 0.2 s took {elapsed:.2f}s: the calls were serialised"


def test_gil_is_released_during_a_blocking_call(mock):
    mock.delay = 0.5
    counter = 0
    stop = threading.Event()

    def spin():
        nonlocal counter
        while not stop.is_set():
            counter += 1

    t = threading.Thread(target=spin, daemon=True)
    t.start()
    try:
        time.sleep(0.05)
        before = counter
        chat(mock)
        during = counter - before
    finally:
        stop.set()
        t.join(2)
    assert during > 10_000, f"a pure-Python thread advanced only {during} steps during a 0.5 s call"


def test_call_from_a_thread_while_the_main_thread_is_blocked(mock):
    _echo(mock)
    mock.slow(0.8)  # the first request (the main thread's) is slow; the others answer at once
    done = {}

    def nested():
        # A thread that itself starts a thread that calls completion.
        inner = {}

        def leaf():
            inner["r"] = chat(mock, messages=[{"role": "user", "content": "leaf"}]).choices[0].message.content
            inner["t"] = time.monotonic()

        t = threading.Thread(target=leaf)
        t.start()
        t.join(5)
        done.update(inner)

    def start_nested_when_main_is_in_flight():
        mock.wait_for_requests(1, timeout=5)
        nested()

    helper = threading.Thread(target=start_nested_when_main_is_in_flight)
    helper.start()
    main = chat(mock, messages=[{"role": "user", "content": "main"}]).choices[0].message.content
    main_t = time.monotonic()
    helper.join(5)

    assert main == "echo: main"
    assert done.get("r") == "echo: leaf"
    assert done["t"] < main_t, "the thread's call waited for the main thread's call"


@posix_only
def test_fork_child_can_make_calls(mock):
    assert chat(mock).choices[0].message.content == mock.chat_text  # runtime and pool in use

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "fork() with threads" on 3.12+
        pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            signal.alarm(15)
            r = litellm_rs.completion(
                model="openai/gpt-4o-mini",
                messages=[{"role": "user", "content": "from the child"}],
                api_base=mock.url,
                api_key=KEY,
            )
            code = 0 if r.choices[0].message.content == mock.chat_text else 2
        except BaseException:  # noqa: BLE001 - any failure in the child is exit code 3
            code = 3
        finally:
            os._exit(code)

    deadline = time.monotonic() + 30
    status = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung")

    assert os.WIFEXITED(status), f"child killed by signal {os.WTERMSIG(status)}"
    assert os.WEXITSTATUS(status) == 0, f"child exit code {os.WEXITSTATUS(status)}"
    assert mock.count() == 2
    assert mock.last.body["messages"][0]["content"] == "from the child"

    # The parent still works after the fork.
    assert chat(mock).choices[0].message.content == mock.chat_text
    assert mock.count() == 3


def _pool_worker(args):
    url, i = args
    import litellm_rs as lm

    r = lm.completion(
        model="openai/gpt-4o-mini",
        messages=[{"role": "user", "content": f"worker {i}"}],
        api_base=url,
        api_key=KEY,
    )
    return r.choices[0].message.content


@posix_only
def test_multiprocessing_fork_pool(mock):
    _echo(mock)
    chat(mock)  # the parent has used the engine before forking

    ctx = multiprocessing.get_context("fork")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with ctx.Pool(2) as pool:
            results = pool.map_async(_pool_worker, [(mock.url, i) for i in range(4)]).get(timeout=30)

    assert results == [f"echo: worker {i}" for i in range(4)]
    assert mock.count() == 5


@pytest.fixture
def sigint_raises():
    """Ctrl-C raises KeyboardInterrupt, also where the test run was started with SIGINT ignored
    (a background job of a non-interactive shell inherits SIG_IGN, and Python then keeps it)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@posix_only
@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_interrupts_a_blocking_call(mock):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")
    mock.delay = 5.0
    timer = threading.Timer(0.3, os.kill, args=(os.getpid(), signal.SIGINT))

    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            chat(mock, num_retries=0)
        elapsed = time.monotonic() - t0
    finally:
        timer.cancel()

    assert elapsed < 1.3, f"KeyboardInterrupt arrived after {elapsed:.2f}s (the mock answers after 5 s)"
    assert mock.wait_for_disconnect(timeout=2.0), "the interrupted request was not abandoned"


@posix_only
@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_interrupts_a_blocking_stream(mock):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")
    mock.stream_pieces = ["first", "second"]
    mock.stream_interval = 5.0  # each next() after the first blocks for 5 s
    stream = chat(mock, stream=True)
    timer = threading.Timer(0.3, os.kill, args=(os.getpid(), signal.SIGINT))

    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            for _ in stream:
                pass
        elapsed = time.monotonic() - t0
    finally:
        timer.cancel()
        stream.close()
    assert elapsed < 1.3, f"KeyboardInterrupt arrived after {elapsed:.2f}s (the next chunk comes after 5 s)"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads thread names from /proc")
@pytest.mark.parametrize(("env", "expected"), [(None, 1), ("3", 3)])
def test_runtime_worker_threads(mock, env, expected):
    """One worker thread in an SDK process by default; LITELLM_RS_WORKER_THREADS sets the count."""
    import subprocess

    script = (
        "import os, litellm_rs\n"
        "r = litellm_rs.completion(model='openai/gpt-4o-mini', messages=[{'role': 'user', 'content': 'hi'}],"
        f" api_base={mock.url!r}, api_key='sk-test')\n"
        "assert r.choices[0].message.content\n"
        "names = [open(f'/proc/self/task/{t}/comm').read().strip() for t in os.listdir('/proc/self/task')]\n"
        "print(sum(n == 'litellm-rs' for n in names))\n"
    )
    environ = {k: v for k, v in os.environ.items() if k != "LITELLM_RS_WORKER_THREADS"}
    if env is not None:
        environ["LITELLM_RS_WORKER_THREADS"] = env
    out = subprocess.run(
        [sys.executable, "-c", script], check=False, env=environ, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == expected
