//! Indexes the bundled model map at build time: `src/cost/model_prices.json` (one `"key":{...}`
//! entry per line, as `scripts/gen_model_prices.py` writes it) becomes a sorted table of keys and
//! byte ranges, so that a lookup reads only the pages of its own entry instead of the process
//! scanning (and keeping resident) the whole 2 MB text at its first cost lookup.

use std::fmt::Write as _;
use std::{env, fs, path::PathBuf};

const MAP: &str = "src/cost/model_prices.json";

fn main() {
    println!("cargo:rerun-if-changed={MAP}");
    println!("cargo:rerun-if-changed=build.rs");
    let text = fs::read_to_string(MAP).unwrap_or_else(|e| panic!("cannot read {MAP}: {e}"));
    // (key, key range, value range): ranges are byte offsets in the text, so that the table is
    // plain numbers (no pointers for the loader to relocate when the extension is imported)
    let mut entries: Vec<(&str, usize, usize, usize)> = Vec::new();
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let l = line.trim_end_matches(['\n', '\r']);
        if matches!(l, "{" | "}" | "") {
            continue;
        }
        let l = l.strip_suffix(',').unwrap_or(l);
        let bad =
            || panic!("{MAP}:{}: not a `\"key\":{{...}}` line (regenerate it with scripts/gen_model_prices.py)", n + 1);
        let Some(rest) = l.strip_prefix('"') else { bad() };
        let Some(close) = rest.find("\":") else { bad() };
        let key = &rest[..close];
        let key_start = start + 1;
        let value_start = start + 1 + close + 2;
        let value_end = start + l.len();
        let value = &text[value_start..value_end];
        if key.contains('\\') || !value.starts_with('{') || !value.ends_with('}') {
            bad();
        }
        if key != "sample_spec" {
            entries.push((key, key_start, value_start, value_end));
        }
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
        panic!("{MAP}: the key {:?} appears twice", w[0].0);
    }
    let mut out = String::with_capacity(entries.len() * 64);
    let _ = writeln!(out, "/// The bundled entries, sorted by key: the byte ranges of the key and of the entry in the");
    let _ = writeln!(out, "/// map's text (`[key_start, key_end, start, end]`).");
    let _ = writeln!(out, "pub static INDEX: [[u32; 4]; {}] = [", entries.len());
    for (key, ks, s, e) in &entries {
        let _ = writeln!(out, "    [{ks}, {}, {s}, {e}],", ks + key.len());
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("model_prices_index.rs");
    fs::write(&dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}
