#!/usr/bin/env python3
"""Generate ``src/cost/model_prices.json``: our compact model map (prices, limits, mode, provider and
capability flags) from a price file in litellm's format.

    python scripts/gen_model_prices.py PATH/TO/model_prices_and_context_window.json [OUT]

Only figures and flags are kept: per-token/per-image/per-second prices (and their tiers and service
tiers), token limits, ``mode``, ``litellm_provider`` and the ``supports_*`` flags. Prose (sources,
comments, dates, notes) is dropped. ``alias_of`` entries are expanded to their target's figures.
The output is committed, so builds need neither network nor the data file. One entry per line keeps
diffs readable.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

_INT_KEYS = ("max_tokens", "max_input_tokens", "max_output_tokens", "output_vector_size", "prompt_cache_min_tokens")
_STR_KEYS = ("mode", "litellm_provider")


def _keep(key: str, value: object) -> bool:
    if isinstance(value, bool):
        return key.startswith("supports_")
    if isinstance(value, (int, float)):
        return "cost" in key or key in _INT_KEYS
    if isinstance(value, str):
        return key in _STR_KEYS
    if key == "tiered_pricing" and isinstance(value, list):
        return True
    if key == "search_context_cost_per_query" and isinstance(value, dict):
        return all(isinstance(v, (int, float)) for v in value.values())
    return False


def _compact(entry: dict) -> dict:
    out = {k: v for k, v in entry.items() if _keep(k, v)}
    if "tiered_pricing" in out:
        tiers = []
        for tier in out["tiered_pricing"]:
            if isinstance(tier, dict):
                tiers.append({k: v for k, v in tier.items() if k == "range" or isinstance(v, (int, float))})
        out["tiered_pricing"] = tiers
    for key in _INT_KEYS:
        value = out.get(key)
        if isinstance(value, float) and value.is_integer():
            out[key] = int(value)
    return dict(sorted(out.items()))


def generate(source: dict) -> dict:
    table = {}
    for key, entry in source.items():
        if key == "sample_spec" or not isinstance(entry, dict):
            continue
        target = entry.get("alias_of")
        if isinstance(target, str) and isinstance(source.get(target), dict):
            entry = {**source[target], **{k: v for k, v in entry.items() if k != "alias_of"}}
        compact = _compact(entry)
        if compact:
            table[key] = compact
    return dict(sorted(table.items()))


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    source = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    out = Path(argv[2]) if len(argv) == 3 else Path(__file__).resolve().parent.parent / "src/cost/model_prices.json"
    table = generate(source)
    # one `"key":{...}` entry per line: build.rs indexes the file by these lines
    lines = [f"{json.dumps(k, ensure_ascii=False)}:{json.dumps(v, separators=(',', ':'))}" for k, v in table.items()]
    out.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"{out}: {len(table)} models, {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
