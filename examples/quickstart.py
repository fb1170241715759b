"""litellm_rs quickstart, fully offline.

1. A `mock_response` call: no network at all.
2. Real HTTP calls (sync, streamed, async) to a tiny OpenAI-compatible server that this script
   starts on 127.0.0.1, addressed exactly as you would address vLLM or any other
   OpenAI-compatible server: `hosted_vllm/<model>` with `api_base=`.
"""

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import litellm_rs as litellm

REPLY = "Hello from the local server!"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep the output clean
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        base = {"id": "chatcmpl-local", "created": 1700000000, "model": body["model"]}
        if not body.get("stream"):
            data = json.dumps(
                dict(
                    base,
                    object="chat.completion",
                    choices=[{"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}],
                    usage={"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15},
                )
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        events = [
            dict(
                base,
                object="chat.completion.chunk",
                choices=[{"index": 0, "delta": {"content": w}, "finish_reason": None}],
            )
            for w in REPLY.split(" ")
        ]
        events.append(
            dict(base, object="chat.completion.chunk", choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])
        )
        payload = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        data = payload.encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    messages = [{"role": "user", "content": "Say hello"}]

    # 1. mock_response: the answer is canned, no request leaves the process.
    r = litellm.completion(model="gpt-4o-mini", messages=messages, mock_response="Hi! (mocked)")
    print("mock:  ", r.choices[0].message.content, "| tokens:", r["usage"]["total_tokens"])

    # 2. A real HTTP call to a local OpenAI-compatible server.
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api_base = f"http://127.0.0.1:{server.server_address[1]}/v1"

    r = litellm.completion(model="hosted_vllm/my-model", messages=messages, api_base=api_base)
    print(
        "sync:  ",
        r.choices[0].message.content,
        "| tokens:",
        r.usage.total_tokens,
        "| provider:",
        r._hidden_params["custom_llm_provider"],
    )

    stream = litellm.completion(model="hosted_vllm/my-model", messages=messages, api_base=api_base, stream=True)
    print("stream:", " ".join(chunk.choices[0].delta.content or "" for chunk in stream).strip())

    async def run_async() -> None:
        rs = await asyncio.gather(
            *[litellm.acompletion(model="hosted_vllm/my-model", messages=messages, api_base=api_base) for _ in range(3)]
        )
        print("async: ", [x.choices[0].message.content for x in rs])

    asyncio.run(run_async())

    # 5. a Router: the "local" deployment answers; the first one always fails (rate limited) and
    #    is cooled down after its first failure, so the next calls go straight to "local"
    router = litellm.Router(
        model_list=[
            {"model_name": "chat", "litellm_params": {"model": "openai/x", "mock_response": "litellm.RateLimitError",
                                                      "order": 1}, "model_info": {"id": "limited"}},
            {"model_name": "chat", "litellm_params": {"model": "hosted_vllm/my-model", "api_base": api_base,
                                                      "order": 2}, "model_info": {"id": "local"}},
        ]
    )  # fmt: skip
    picks = [router.completion(model="chat", messages=messages)._hidden_params["model_id"] for _ in range(3)]
    print("router:", picks, "| cooling down:", router.get_cooldown_deployments())

    # 6. the proxy: an OpenAI-compatible gateway from litellm's config.yaml (here on a free port;
    #    from a shell: `litellm-rs --config config.yaml --port 4000`), called over HTTP
    import json
    import tempfile
    import urllib.request

    from litellm_rs import proxy

    with tempfile.TemporaryDirectory() as tmp:
        config = f"{tmp}/config.yaml"
        with open(config, "w") as f:
            f.write(
                "model_list:\n  - model_name: local\n    litellm_params:\n"
                f"      model: hosted_vllm/my-model\n      api_base: {api_base}\n"
                f"general_settings:\n  master_key: sk-quickstart\n  database_url: sqlite://{tmp}/proxy.db?mode=rwc\n"
            )
        gateway = proxy.start(config, host="127.0.0.1", port=0)
        request = urllib.request.Request(
            f"http://127.0.0.1:{gateway.port}/v1/chat/completions",
            data=json.dumps({"model": "local", "messages": messages}).encode(),
            headers={"Authorization": "Bearer sk-quickstart", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as answer:
            body = json.load(answer)
            print(
                "proxy: ",
                body["choices"][0]["message"]["content"],
                "| model id:",
                answer.headers["x-litellm-model-id"][:12],
            )
        gateway.shutdown()
        gateway.wait(5)
    server.shutdown()


if __name__ == "__main__":
    main()
