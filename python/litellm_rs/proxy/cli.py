"""``litellm-rs``: the proxy's command line (litellm's ``litellm`` CLI options)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="litellm-rs", description="An OpenAI-compatible LLM gateway (litellm-rs).")
    parser.add_argument("--config", "-c", help="litellm's config.yaml")
    parser.add_argument("--model", "-m", help="serve one model, e.g. groq/llama-3.3-70b-versatile")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=4000)
    parser.add_argument("--num_workers", type=int, default=None, help="accepted; one process serves on all cores")
    parser.add_argument("--detailed_debug", action="store_true", help="log upstream requests and answers (redacted)")
    parser.add_argument("--debug", action="store_true", help="same as --detailed_debug")
    parser.add_argument("--validate_config", action="store_true", help="check the config and exit")
    args = parser.parse_args(argv)
    from . import check_config, serve

    if args.validate_config:
        if not args.config:
            parser.error("--validate_config needs --config")
        try:
            names = check_config(args.config)
        except Exception as e:  # noqa: BLE001 - shown to the user as the check's verdict
            print(f"invalid config: {e}", file=sys.stderr)
            return 1
        print(f"config OK: {len(names)} model(s): {', '.join(names)}")
        return 0
    if not args.config and not args.model:
        parser.error("pass --config <config.yaml> or --model <provider/model>")
    try:
        serve(args.config, model=args.model, host=args.host, port=args.port,
              detailed_debug=args.detailed_debug or args.debug)  # fmt: skip
    except Exception as e:  # noqa: BLE001 - a start failure is reported, not a traceback
        print(f"litellm-rs proxy: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
