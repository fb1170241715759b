"""Side-by-side benchmark: litellm_rs against the real litellm and a plain-client floor.

Driven by benches/run.sh, which starts the mock upstream (examples/mock_upstream.rs) and runs
this file under each interpreter. Subcommands:

  side_by_side.py import --module NAME --out FILE      import time and RSS (fresh interpreters)
  side_by_side.py run --impl IMPL --port P --out FILE  the workload; IMPL is litellm, litellm_rs or
                                                       floor (plain httpx / aiohttp)
  side_by_side.py table FILE...                        merge result files into one table

Everything talks to 127.0.0.1 only, every loop is bounded in count and time, and the numbers are
medians / p99 of per-call wall times plus CPU (user+sys of the whole process, all threads) from
resource.getrusage. See benches/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time

MODEL = "openai/gpt-4o-mini"
EMBED_MODEL = "openai/text-embedding-3-small"
API_KEY = "sk-bench"
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Hello, how are you? Please answer in one short paragraph."},
]
EMBED_INPUT = ["The quick brown fox jumps over the lazy dog, and then it rests quietly."]
STREAM_CHUNKS = 2000
CONCURRENCY = 64

# Environment for every interpreter we start or run in: loopback only, no cost-map download, no
# proxies. (litellm fetches its price map from the internet at import unless told not to.)
BENCH_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_TELEMETRY": "False",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}
for _k in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_k, None)
os.environ.update(BENCH_ENV)


# ---------------------------------------------------------------------------------------------
# small helpers


def cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def pct(values: list, q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, round(q * (len(s) - 1))))
    return s[k]


class MockCpu:
    """CPU seconds used by the mock upstream process (to see whether it was the bottleneck)."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def read(self) -> float:
        if not self.pid:
            return float("nan")
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self.tick
        except OSError:
            return float("nan")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# import time and RSS, in fresh interpreters


def cmd_import(args: argparse.Namespace) -> None:
    probe = "import sys\n{imp}\nsys.stdout.write(open('/proc/self/status').read())"
    codes = {"pass": probe.format(imp="pass"), "import": probe.format(imp=f"import {args.module}")}
    times: dict = {"pass": [], "import": []}
    rss: dict = {"pass": [], "import": []}
    env = dict(os.environ)
    for _ in range(args.runs):
        for kind in ("pass", "import"):  # interleaved, so drift hits both alike
            t0 = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", codes[kind]], env=env, check=True, capture_output=True, text=True
            ).stdout
            times[kind].append(time.perf_counter() - t0)
            for line in out.splitlines():
                if line.startswith("VmRSS:"):
                    rss[kind].append(int(line.split()[1]) / 1024.0)
    result = {
        "kind": "import",
        "module": args.module,
        "python": sys.version.split()[0],
        "runs": args.runs,
        "import_s": statistics.median(times["import"]) - statistics.median(times["pass"]),
        "bare_python_s": statistics.median(times["pass"]),
        "rss_after_import_mb": statistics.median(rss["import"]),
        "bare_python_rss_mb": statistics.median(rss["pass"]),
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    log(f"import {args.module}: {result['import_s'] * 1000:.1f} ms, {result['rss_after_import_mb']:.1f} MB")


# ---------------------------------------------------------------------------------------------
# the workload


class Bench:
    """Runs the phases for one implementation and collects the numbers in self.r."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.impl = args.impl
        self.base = f"http://127.0.0.1:{args.port}/v1"
        self.mock = MockCpu(args.mock_pid)
        self.r: dict = {"kind": "run", "impl": self.impl, "python": sys.version.split()[0]}
        self.scale = args.scale

    # -- phase bookkeeping --------------------------------------------------------------------
    def phase(self, name: str, fn) -> None:
        gc.collect()
        m0 = self.mock.read()
        t0 = time.perf_counter()
        fn()
        wall = time.perf_counter() - t0
        busy = (self.mock.read() - m0) / wall if wall > 0 else float("nan")
        self.r[f"{name}_mock_busy"] = busy
        self.r[f"{name}_peak_rss_mb"] = peak_rss_mb()
        log(f"  {self.impl} {name}: {wall:.1f} s, mock busy {busy * 100:.0f}%")

    def timed_calls(self, call, n_max: int, t_max: float, warmup: int) -> dict:
        for _ in range(warmup):
            call()
        lat = []
        c0 = cpu_seconds()
        start = time.perf_counter()
        deadline = start + t_max
        for _ in range(n_max):
            t0 = time.perf_counter_ns()
            call()
            lat.append(time.perf_counter_ns() - t0)
            if time.perf_counter() > deadline:
                break
        wall = time.perf_counter() - start
        cpu = cpu_seconds() - c0
        return {
            "n": len(lat),
            "median_us": statistics.median(lat) / 1000.0,
            "p99_us": pct(lat, 0.99) / 1000.0,
            "cpu_us_per_call": cpu / len(lat) * 1e6,
            "wall_s": wall,
        }

    # -- the three clients --------------------------------------------------------------------
    def setup(self) -> None:
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        if self.impl == "floor":
            import aiohttp
            import httpx

            self.httpx = httpx
            self.aiohttp = aiohttp
            self.client = httpx.Client(timeout=30.0)
            self.headers = {"Authorization": f"Bearer {API_KEY}"}
        else:
            self.m = __import__(self.impl)
        self.r["import_in_process_s"] = time.perf_counter() - t0
        self.r["import_cpu_s"] = cpu_seconds() - c0
        self.r["rss_after_import_mb"] = rss_mb()

    def completion_call(self):
        if self.impl == "floor":
            body = {"model": "gpt-4o-mini", "messages": MESSAGES}
            client, url, headers = self.client, self.base + "/chat/completions", self.headers

            def call():
                r = client.post(url, json=body, headers=headers)
                r.raise_for_status()
                return r.json()

            return call
        m, base = self.m, self.base

        def call():
            return m.completion(model=MODEL, messages=MESSAGES, api_base=base, api_key=API_KEY)

        return call

    def embedding_call(self):
        if self.impl == "floor":
            body = {"model": "text-embedding-3-small", "input": EMBED_INPUT}
            client, url, headers = self.client, self.base + "/embeddings", self.headers

            def call():
                r = client.post(url, json=body, headers=headers)
                r.raise_for_status()
                return r.json()

            return call
        m, base = self.m, self.base

        def call():
            return m.embedding(model=EMBED_MODEL, input=EMBED_INPUT, api_base=base, api_key=API_KEY)

        return call

    # -- phases -------------------------------------------------------------------------------
    def sync_completion(self) -> None:
        call = self.completion_call()
        out = call()
        self.r["completion_check"] = _content_of(out)
        res = self.timed_calls(call, n_max=int(3000 * self.scale), t_max=6.0 * self.scale, warmup=30)
        self.r.update({f"completion_{k}": v for k, v in res.items()})

    def callback_overhead(self) -> None:
        """What one registered success callback adds to a sync completion: rounds without and with
        it, interleaved; the best round of each is kept (the machine's noise only adds time)."""
        if self.impl == "floor":
            return
        m, call = self.m, self.completion_call()
        seen = [0]

        def on_success(kwargs, response, start_time, end_time):
            seen[0] += 1

        n = int(1500 * self.scale)
        without, with_cb = [], []
        for _ in range(3):
            m.success_callback = []
            without.append(self.timed_calls(call, n_max=n, t_max=4.0 * self.scale, warmup=20))
            m.success_callback = [on_success]
            with_cb.append(self.timed_calls(call, n_max=n, t_max=4.0 * self.scale, warmup=20))
            m.success_callback = []
        expected = sum(r["n"] for r in with_cb) + 60
        deadline = time.time() + 30
        while seen[0] < expected and time.time() < deadline:  # the hooks run on background threads
            time.sleep(0.05)
        best = lambda rs, k: min(r[k] for r in rs)
        self.r["callback_extra_median_us"] = best(with_cb, "median_us") - best(without, "median_us")
        self.r["callback_extra_cpu_us"] = best(with_cb, "cpu_us_per_call") - best(without, "cpu_us_per_call")
        self.r["callback_calls_seen"] = f"{seen[0]}/{expected}"

    def router_overhead(self) -> None:
        """What the Router adds to a sync completion: one group of 50 deployments (all on the mock
        upstream) against the plain call, in interleaved rounds; the best round of each is kept."""
        if self.impl == "floor":
            return
        m, base, plain = self.m, self.base, self.completion_call()
        model_list = [
            {
                "model_name": "bench-group",
                "litellm_params": {"model": MODEL, "api_base": base, "api_key": API_KEY},
                "model_info": {"id": f"deployment-{i}"},
            }
            for i in range(50)
        ]
        router = m.Router(model_list=model_list)

        def routed():
            return router.completion(model="bench-group", messages=MESSAGES)

        self.r["router_check"] = _content_of(routed())
        n = int(1500 * self.scale)
        without, with_router = [], []
        for _ in range(3):
            without.append(self.timed_calls(plain, n_max=n, t_max=4.0 * self.scale, warmup=20))
            with_router.append(self.timed_calls(routed, n_max=n, t_max=4.0 * self.scale, warmup=20))
        best = lambda rs, k: min(r[k] for r in rs)
        self.r["router_extra_median_us"] = best(with_router, "median_us") - best(without, "median_us")
        self.r["router_extra_cpu_us"] = best(with_router, "cpu_us_per_call") - best(without, "cpu_us_per_call")
        # the same without the network (mock_response on both sides): the routing's own cost,
        # free of the loopback's noise (tens of µs per call on a busy 2-core machine)
        mocked = [dict(d, litellm_params=dict(d["litellm_params"], mock_response="hi")) for d in model_list]
        mock_router = m.Router(model_list=mocked)

        def plain_mock():
            return m.completion(model=MODEL, messages=MESSAGES, api_base=base, api_key=API_KEY, mock_response="hi")

        def routed_mock():
            return mock_router.completion(model="bench-group", messages=MESSAGES)

        without, with_router = [], []
        for _ in range(3):
            without.append(self.timed_calls(plain_mock, n_max=n, t_max=3.0 * self.scale, warmup=20))
            with_router.append(self.timed_calls(routed_mock, n_max=n, t_max=3.0 * self.scale, warmup=20))
        self.r["router_mock_extra_median_us"] = best(with_router, "median_us") - best(without, "median_us")

    def cache_hit(self) -> None:
        """A completion answered by the in-process cache (litellm.Cache() / litellm_rs.Cache())."""
        if self.impl == "floor":
            return
        m, call = self.m, self.completion_call()
        m.cache = m.Cache()
        try:
            call()
            res = self.timed_calls(call, n_max=int(5000 * self.scale), t_max=4.0 * self.scale, warmup=50)
        except Exception as e:  # noqa: BLE001 - litellm 1.110.2's cache path imports its proxy's deps
            self.r["cache_hit_error"] = f"{type(e).__name__}: {e}"[:200]
            return
        finally:
            m.cache = None
        self.r["cache_hit_median_us"] = res["median_us"]
        self.r["cache_hit_cpu_us"] = res["cpu_us_per_call"]

    def sync_embedding(self) -> None:
        call = self.embedding_call()
        out = call()
        self.r["embedding_dims"] = _embedding_len(out)
        res = self.timed_calls(call, n_max=int(2000 * self.scale), t_max=6.0 * self.scale, warmup=20)
        self.r.update({f"embedding_{k}": v for k, v in res.items()})

    def async_completion(self) -> None:
        duration = 4.0 * self.scale
        res = asyncio.run(self._async_completion(duration))
        self.r.update(res)

    async def _async_completion(self, duration: float) -> dict:
        if self.impl == "floor":
            aiohttp = self.aiohttp
            url = self.base + "/chat/completions"
            body = {"model": "gpt-4o-mini", "messages": MESSAGES}
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY))

            async def call():
                async with session.post(url, json=body, headers=self.headers) as r:
                    r.raise_for_status()
                    return await r.json()
        else:
            session = None
            m, base = self.m, self.base

            async def call():
                return await m.acompletion(model=MODEL, messages=MESSAGES, api_base=base, api_key=API_KEY)

        latencies: list = []

        async def worker(deadline: float, record: bool) -> int:
            n = 0
            while time.perf_counter() < deadline:
                t0 = time.perf_counter_ns()
                await call()
                if record:
                    latencies.append(time.perf_counter_ns() - t0)
                n += 1
            return n

        try:
            # warm-up: open the connections and fill every cache
            await asyncio.gather(*(worker(time.perf_counter() + 0.5, False) for _ in range(CONCURRENCY)))
            gc.collect()
            c0 = cpu_seconds()
            t0 = time.perf_counter()
            deadline = t0 + duration
            counts = await asyncio.gather(*(worker(deadline, True) for _ in range(CONCURRENCY)))
            wall = time.perf_counter() - t0
            cpu = cpu_seconds() - c0
        finally:
            if session is not None:
                await session.close()
        n = sum(counts)
        return {
            "acompletion_n": n,
            "acompletion_rps": n / wall,
            "acompletion_cpu_us_per_req": cpu / n * 1e6,
            "acompletion_median_us": statistics.median(latencies) / 1000.0,
            "acompletion_p99_us": pct(latencies, 0.99) / 1000.0,
        }

    def stream(self) -> None:
        chunks = STREAM_CHUNKS
        if self.impl == "floor":
            body = {"model": "gpt-4o-mini", "messages": MESSAGES, "stream": True}
            headers = dict(self.headers, **{"x-mock-chunks": str(chunks)})
            client, url = self.client, self.base + "/chat/completions"

            def one() -> int:
                n = 0
                with client.stream("POST", url, json=body, headers=headers) as r:
                    r.raise_for_status()
                    for line in r.iter_lines():
                        if line.startswith("data: ") and line != "data: [DONE]":
                            n += 1
                return n
        else:
            m, base = self.m, self.base
            headers = {"x-mock-chunks": str(chunks)}

            def one() -> int:
                n = 0
                resp = m.completion(
                    model=MODEL, messages=MESSAGES, api_base=base, api_key=API_KEY, stream=True, extra_headers=headers
                )
                for _chunk in resp:
                    n += 1
                return n

        one()  # warm-up
        rates, cpus, counts = [], [], []
        deadline = time.perf_counter() + 10.0 * self.scale
        for _ in range(max(1, int(15 * self.scale))):
            gc.collect()
            c0 = cpu_seconds()
            t0 = time.perf_counter()
            n = one()
            wall = time.perf_counter() - t0
            cpu = cpu_seconds() - c0
            rates.append(n / wall)
            cpus.append(cpu / n * 1e6)
            counts.append(n)
            if time.perf_counter() > deadline:
                break
        self.r.update(
            {
                "stream_runs": len(rates),
                "stream_chunks": statistics.median(counts),
                "stream_chunks_per_s": statistics.median(rates),
                "stream_cpu_us_per_chunk": statistics.median(cpus),
            }
        )

    def flatness(self) -> None:
        """RSS after N calls and after 10×N calls (sync completion), N sized to the call latency."""
        call = self.completion_call()
        per_call_s = self.r["completion_median_us"] / 1e6
        budget = 150.0 * self.scale  # seconds for all 10×N calls
        n = int(min(10_000 * self.scale, max(200, budget / max(per_call_s, 1e-6) / 10)))
        for _ in range(n):
            call()
        gc.collect()
        rss_n = rss_mb()
        t0 = time.perf_counter()
        for _ in range(9 * n):
            call()
        gc.collect()
        rss_10n = rss_mb()
        self.r.update(
            {
                "flat_n": n,
                "flat_rss_after_n_mb": rss_n,
                "flat_rss_after_10n_mb": rss_10n,
                "flat_wall_s": time.perf_counter() - t0,
            }
        )

    PHASES = ("completion", "callback", "cache_hit", "router", "embedding", "acompletion", "stream")

    def run(self) -> None:
        self.setup()
        methods = {
            "completion": self.sync_completion,
            "callback": self.callback_overhead,
            "cache_hit": self.cache_hit,
            "router": self.router_overhead,
            "embedding": self.sync_embedding,
            "acompletion": self.async_completion,
            "stream": self.stream,
        }
        wanted = getattr(self.args, "phases", None)
        for name in self.PHASES:
            if not wanted or name in wanted.split(","):
                self.phase(name, methods[name])
        self.r["peak_rss_mb"] = peak_rss_mb()
        if self.args.flat:
            self.phase("flat", self.flatness)
            self.r["peak_rss_with_flat_mb"] = peak_rss_mb()
        self.r["rss_end_mb"] = rss_mb()


def _content_of(resp) -> str:
    try:
        if isinstance(resp, dict):
            return resp["choices"][0]["message"]["content"][:40]
        return resp.choices[0].message.content[:40]
    except Exception as e:  # noqa: BLE001 - only a sanity note in the results
        return f"?? {type(e).__name__}"


def _embedding_len(resp) -> int:
    try:
        data = resp["data"] if isinstance(resp, dict) else resp.data
        first = data[0]
        vec = first["embedding"] if isinstance(first, dict) else first.embedding
        return len(vec)
    except Exception:  # noqa: BLE001
        return -1


def cmd_run(args: argparse.Namespace) -> None:
    b = Bench(args)
    try:
        b.run()
    finally:
        with open(args.out, "w") as f:
            json.dump(b.r, f, indent=1)


# ---------------------------------------------------------------------------------------------
# the table


def _better(rs, other, lower_is_better: bool, unit: tuple) -> str:
    """'12× faster' style factor; > 1 means litellm_rs is better."""
    if rs is None or other is None or not rs or not other:
        return "—"
    factor = (other / rs) if lower_is_better else (rs / other)
    good, bad = unit
    if factor >= 1:
        return f"{factor:,.1f}× {good}" if factor < 100 else f"{factor:,.0f}× {good}"
    return f"{1 / factor:,.1f}× {bad}"


def _fmt(v, digits: int = 0) -> str:
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def cmd_table(args: argparse.Namespace) -> None:
    imports, runs = {}, {}
    for path in args.files:
        with open(path) as f:
            d = json.load(f)
        if d.get("kind") == "import":
            imports[d["module"]] = d
        else:
            runs[d["impl"]] = d
    li, ri = imports.get("litellm", {}), imports.get("litellm_rs", {})
    lr, rr, fr = runs.get("litellm", {}), runs.get("litellm_rs", {}), runs.get("floor", {})

    rows = []  # (metric, litellm, litellm_rs, floor, vs litellm, vs floor, target, met)

    def add(metric, key, src, lower, unit, digits=0, scale=1.0, target="", met=None):
        vals = [d.get(key) for d in src]
        vl, vr, vf = ((v * scale) if isinstance(v, (int, float)) else v for v in vals)
        met_s = "" if met is None else ("yes" if met(vr, vf) else "**no**")
        fmt = [_fmt(v, digits) for v in (vl, vr, vf)]
        rows.append((metric, *fmt, _better(vr, vl, lower, unit), _better(vr, vf, lower, unit), target, met_s))

    def ok(pred):
        def check(vr, vf):
            try:
                return vr is not None and bool(pred(vr, vf))
            except TypeError:
                return False

        return check

    fast, cpu, more, mem = ("faster", "slower"), ("less", "more"), ("more", "fewer"), ("less", "more")
    imp = (li, ri, {})
    run = (lr, rr, fr)
    below_floor = ok(lambda r, f: f is not None and r < f)
    at_least_floor = ok(lambda r, f: f is not None and r >= f)
    stream_ok = ok(lambda r, f: f is not None and r >= 150_000 and r >= 2 * f)
    add("import time (ms)", "import_s", imp, True, fast, 1, 1000, "≤ 50 ms", ok(lambda r, f: r <= 50))
    add("RSS after import (MB)", "rss_after_import_mb", imp, True, mem, 1, 1, "≤ 30 MB", ok(lambda r, f: r <= 30))
    add("sync completion, median (µs)", "completion_median_us", run, True, fast, 0, 1, "< floor", below_floor)
    add("sync completion, p99 (µs)", "completion_p99_us", run, True, fast)
    add("sync completion, CPU/call (µs)", "completion_cpu_us_per_call", run, True, cpu)
    add(
        "one success callback: extra median (µs)", "callback_extra_median_us", run, True, fast, 1, 1, "≤ 15 µs",
        ok(lambda r, f: r <= 15),
    )  # fmt: skip
    add("one success callback: extra CPU/call (µs)", "callback_extra_cpu_us", run, True, cpu, 1)
    add(
        "local cache hit, median (µs)", "cache_hit_median_us", run, True, fast, 1, 1, "≤ 30 µs",
        ok(lambda r, f: r <= 30),
    )  # fmt: skip
    add(
        "Router (50 deployments): extra median (µs)", "router_extra_median_us", run, True, fast, 1, 1, "≤ 10 µs",
        ok(lambda r, f: r <= 10),
    )  # fmt: skip
    add("Router (50 deployments): extra CPU/call (µs)", "router_extra_cpu_us", run, True, cpu, 1)
    add(
        "Router (50 deployments), no network: extra median (µs)", "router_mock_extra_median_us", run, True, fast, 1,
        1, "≤ 10 µs", ok(lambda r, f: r <= 10),
    )  # fmt: skip
    add("sync embedding, median (µs)", "embedding_median_us", run, True, fast, 0, 1, "< floor", below_floor)
    add("sync embedding, p99 (µs)", "embedding_p99_us", run, True, fast)
    add("acompletion c=64, req/s", "acompletion_rps", run, False, more, 0, 1, "≥ floor", at_least_floor)
    add("acompletion c=64, CPU/req (µs)", "acompletion_cpu_us_per_req", run, True, cpu, 0, 1, "< floor", below_floor)
    add("acompletion c=64, p99 latency (ms)", "acompletion_p99_us", run, True, fast, 1, 0.001)
    chunks_title = f"stream {STREAM_CHUNKS} chunks, chunks/s"
    add(chunks_title, "stream_chunks_per_s", run, False, more, 0, 1, "≥ 150k and ≥ 2× floor", stream_ok)
    add("stream, CPU/chunk (µs)", "stream_cpu_us_per_chunk", run, True, cpu, 2)
    add("peak RSS of the run (MB)", "peak_rss_mb", run, True, mem, 1, 1, "≤ 60 MB", ok(lambda r, f: r <= 60))
    if "flat_n" in rr:
        n = rr["flat_n"]
        a, b = rr["flat_rss_after_n_mb"], rr["flat_rss_after_10n_mb"]
        grow = b - a
        rows.append(
            (
                f"RSS after {n:,} / {10 * n:,} calls (MB)",
                "—",
                f"{a:.1f} / {b:.1f}",
                "—",
                "",
                "",
                "flat",
                "yes" if grow <= max(1.0, 0.02 * a) else f"**no** (+{grow:.1f} MB)",
            )
        )

    head = ("metric", "litellm", "litellm_rs", "floor", "litellm_rs vs litellm", "litellm_rs vs floor", "target", "met")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print()
    print(
        "floor = plain httpx (sync, stream: reading the SSE lines) / aiohttp (acompletion) POST of the same body; "
        "CPU = user+sys of the whole client process."
    )
    notes = []
    for name, d in (("litellm", lr), ("litellm_rs", rr), ("floor", fr)):
        if not d:
            notes.append(f"{name}: no results (run failed?)")
            continue
        busy = {k[: -len("_mock_busy")]: v for k, v in d.items() if k.endswith("_mock_busy")}
        top = max(busy.items(), key=lambda kv: kv[1], default=("", 0.0))
        notes.append(
            f"{name}: python {d.get('python')}, completion n={d.get('completion_n')}, "
            f"embedding n={d.get('embedding_n')} (dims {d.get('embedding_dims')}), "
            f"acompletion n={d.get('acompletion_n')}, stream runs={d.get('stream_runs')} "
            f"(chunks seen {_fmt(d.get('stream_chunks'))}); mock busiest in {top[0]} at {top[1] * 100:.0f}% of a core"
        )
    if li and ri:
        notes.append(
            f"bare `python -c pass`: {li['bare_python_s'] * 1000:.0f} ms / {li['bare_python_rss_mb']:.1f} MB (litellm venv), "
            f"{ri['bare_python_s'] * 1000:.0f} ms / {ri['bare_python_rss_mb']:.1f} MB (litellm_rs venv); "
            f"import medians of {ri['runs']} fresh interpreters"
        )
    if lr.get("import_in_process_s") is not None and rr.get("import_in_process_s") is not None:
        notes.append(
            f"first import inside the run process (warm disk cache): litellm {lr['import_in_process_s'] * 1000:,.0f} ms, "
            f"litellm_rs {rr['import_in_process_s'] * 1000:,.1f} ms"
        )
    if "peak_rss_with_flat_mb" in rr:
        notes.append(f"litellm_rs peak RSS including the flatness loop: {rr['peak_rss_with_flat_mb']:.1f} MB")
    for n in notes:
        print("- " + n)


# ---------------------------------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    pi = sub.add_parser("import")
    pi.add_argument("--module", required=True)
    pi.add_argument("--runs", type=int, default=7)
    pi.add_argument("--out", required=True)
    pr = sub.add_parser("run")
    pr.add_argument("--impl", required=True, choices=["litellm", "litellm_rs", "floor"])
    pr.add_argument("--port", type=int, required=True)
    pr.add_argument("--mock-pid", type=int, default=None)
    pr.add_argument("--flat", action="store_true", help="also measure RSS after N and 10×N calls")
    pr.add_argument("--scale", type=float, default=1.0, help="scale every count and time limit (0.1 = smoke)")
    pr.add_argument(
        "--phases", default=None, help="comma-separated phases to run (default: all): " + ",".join(Bench.PHASES)
    )
    pr.add_argument("--out", required=True)
    pt = sub.add_parser("table")
    pt.add_argument("files", nargs="+")
    args = p.parse_args()
    {"import": cmd_import, "run": cmd_run, "table": cmd_table}[args.cmd](args)


if __name__ == "__main__":
    main()
