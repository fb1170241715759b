"""Time to first byte of a streamed chat completion: N sequential requests on one keep-alive
connection, each timed from sending it to the first bytes of its body (a `data:` event); prints
"p50_ms p99_ms". Used by benches/proxy.sh (the mock directly, then through the proxy).

    python3 benches/ttfb.py PORT MODEL [KEY] [N]
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import time


def main() -> None:
    port, model = int(sys.argv[1]), sys.argv[2]
    key = sys.argv[3] if len(sys.argv) > 3 else "sk-none"
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 300
    body = json.dumps(
        {"model": model, "stream": True, "max_tokens": 64, "messages": [{"role": "user", "content": "Say hello"}]}
    )
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for i in range(n + 20):  # the first 20 warm up
        started = time.perf_counter()
        conn.request("POST", "/v1/chat/completions", body=body, headers=headers)
        resp = conn.getresponse()
        if resp.status != 200:
            raise SystemExit(f"status {resp.status}: {resp.read()[:300]!r}")
        head = resp.read1(65536)  # the first bytes of the (chunk-decoded) body
        first = time.perf_counter() - started
        if not head.startswith(b"data:"):
            raise SystemExit(f"not an event stream: {head[:200]!r}")
        resp.read()  # the rest of the stream
        if i >= 20:
            times.append(first * 1000)
    times.sort()
    print(f"{statistics.median(times):.3f} {times[int(len(times) * 0.99) - 1]:.3f}")


if __name__ == "__main__":
    main()
