// The proxy's page: a chat playground whose answers stream in, the virtual keys, and the spend,
// with charts drawn as SVG. Plain DOM and fetch, no framework. Text from the API or a model only
// ever enters the page as text (textContent, text nodes), never as markup.
"use strict";

const KEY_ITEM = "litellm-rs-ui-key"; // sessionStorage: the key lives as long as the tab
const SVG_NS = "http://www.w3.org/2000/svg";
const DAY_MS = 86400000;
const $ = (id) => document.getElementById(id);

// ---- DOM helpers ----------------------------------------------------------------------------

/** An element with attributes and children; strings become text nodes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

/** An SVG element with attributes and, optionally, its text. */
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function money(v) {
  const n = Number(v) || 0;
  if (n === 0) return "$0";
  return "$" + (Math.abs(n) >= 0.01 ? n.toFixed(2) : n.toPrecision(2));
}

function shorten(text, n) {
  const s = String(text ?? "");
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

/** An ISO time as local `YYYY-MM-DD HH:MM:SS`. */
function when(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return String(iso ?? "");
  const p = (n) => String(n).padStart(2, "0");
  const date = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return `${date} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** An SVG as wide as its container, drawn in pixels (so its text keeps the page's size). */
function canvas(container, height) {
  const width = Math.max(container.clientWidth, 320);
  return [svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" }), width];
}

function notice(message) {
  const box = $("notice");
  box.textContent = message || "";
  box.hidden = !message;
}

// ---- the API --------------------------------------------------------------------------------

function currentKey() {
  return sessionStorage.getItem(KEY_ITEM) || "";
}

/** An OpenAI-format error ({"error": {"message": ...}}) or anything else, as one readable line. */
function describe(error) {
  if (typeof error === "string") return error;
  if (error && typeof error.message === "string") return error.message;
  return JSON.stringify(error);
}

/** fetch with the key; a non-2xx answer throws its error message. */
async function api(path, init = {}) {
  const headers = Object.assign({}, init.headers);
  const key = currentKey();
  if (key) headers.Authorization = "Bearer " + key;
  const resp = await fetch(path, Object.assign({}, init, { headers }));
  if (!resp.ok) {
    const text = await resp.text();
    let message = text.slice(0, 500) || resp.statusText;
    try {
      const body = JSON.parse(text);
      if (body && body.error !== undefined) message = describe(body.error);
    } catch (_) {
      // not JSON: the text itself
    }
    throw new Error(`${resp.status}: ${message}`);
  }
  return resp;
}

async function getJSON(path) {
  return (await api(path)).json();
}

/** The `data` of each server-sent event of a response body, as its bytes arrive. */
async function* sseData(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      let end;
      while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
        if (line === "") {
          if (data.length) yield data.join("\n"); // a blank line ends an event
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
        } // other fields (event:, id:, retry:) and comments (":") are not used
      }
      if (done) {
        if (data.length) yield data.join("\n");
        return;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

// ---- the key --------------------------------------------------------------------------------

function showKeyStatus() {
  const key = currentKey();
  // only the last characters, as the API's own key_name shows them
  $("key-status").textContent = key ? `using ${key.slice(0, 3)}...${key.slice(-4)}` : "no key set";
}

function useKey(event) {
  event.preventDefault();
  const key = $("key").value.trim();
  if (key) sessionStorage.setItem(KEY_ITEM, key);
  $("key").value = "";
  showKeyStatus();
  notice("");
  loadModels();
  show(currentView());
}

function forgetKey() {
  sessionStorage.removeItem(KEY_ITEM);
  showKeyStatus();
  $("model").replaceChildren();
  notice("The key is forgotten: enter one to go on.");
}

// ---- chat -----------------------------------------------------------------------------------

const chat = { history: [], controller: null };

async function loadModels() {
  const select = $("model");
  const previous = select.value;
  try {
    const body = await getJSON("/v1/models");
    const names = (body.data || []).map((m) => String(m.id)).sort();
    select.replaceChildren(...names.map((name) => el("option", { value: name }, name)));
    if (names.includes(previous)) select.value = previous;
  } catch (e) {
    select.replaceChildren();
    notice("Models: " + e.message);
  }
}

/** A message in the conversation; returns the element its text goes in and its footer. */
function addMessage(role, text) {
  const box = $("messages");
  box.querySelector(".empty")?.remove();
  const body = el("div", { class: "text" }, text);
  const meta = el("div", { class: "meta" });
  const item = el("div", { class: "msg " + role }, el("div", { class: "role" }, role), body, meta);
  box.append(item);
  box.scrollTop = box.scrollHeight;
  return { item, body, meta };
}

function busy(on) {
  $("send").disabled = on;
  $("stop").disabled = !on;
}

async function send(event) {
  event.preventDefault();
  const prompt = $("prompt");
  const text = prompt.value.trim();
  const model = $("model").value;
  if (!text || chat.controller) return;
  if (!model) {
    notice("No model to call: set a key (the models are read with it).");
    return;
  }
  prompt.value = "";
  const user = { role: "user", content: text };
  addMessage("user", text);
  const answer = addMessage("assistant", "");
  answer.item.classList.add("pending");
  const messages = [];
  const system = $("system").value.trim();
  if (system) messages.push({ role: "system", content: system });
  messages.push(...chat.history, user);

  chat.controller = new AbortController();
  busy(true);
  let content = "";
  let usage = null;
  let served = model;
  const started = performance.now();
  try {
    const resp = await api("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model, messages, stream: true, stream_options: { include_usage: true } }),
      signal: chat.controller.signal,
    });
    for await (const data of sseData(resp.body)) {
      if (data === "[DONE]") break;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(describe(chunk.error)); // an error after the first chunk
      if (chunk.model) served = chunk.model;
      if (chunk.usage) usage = chunk.usage;
      const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
      if (delta && typeof delta.content === "string" && delta.content) {
        content += delta.content;
        answer.body.textContent = content;
        $("messages").scrollTop = $("messages").scrollHeight;
      }
    }
    chat.history.push(user, { role: "assistant", content });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const tokens = usage ? ` · ${usage.prompt_tokens} + ${usage.completion_tokens} tokens` : "";
    answer.meta.textContent = `${served} · ${seconds} s${tokens}`;
  } catch (e) {
    if (e.name === "AbortError") {
      chat.history.push(user, { role: "assistant", content });
      answer.meta.textContent = "stopped";
    } else {
      // the turn is not kept: the next message is sent without it
      answer.item.classList.add("error");
      answer.meta.textContent = e.message;
    }
  } finally {
    answer.item.classList.remove("pending");
    chat.controller = null;
    busy(false);
  }
}

function newChat() {
  if (chat.controller) chat.controller.abort();
  chat.history = [];
  $("messages").replaceChildren(el("p", { class: "empty" }, "New conversation."));
}

// ---- charts ---------------------------------------------------------------------------------

/** Columns over time: items [{label, value}] in order; the value axis in dollars. */
function columns(container, items) {
  const H = 200, left = 64, bottom = 22, top = 10;
  const max = Math.max(...items.map((i) => i.value), 0) || 1;
  const [chart, W] = canvas(container, H);
  for (const f of [0, 0.5, 1]) {
    const y = top + (H - top - bottom) * (1 - f);
    chart.append(svg("line", { x1: left, x2: W, y1: y, y2: y, class: "grid" }));
    chart.append(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, money(max * f)));
  }
  const step = (W - left) / Math.max(items.length, 1);
  items.forEach((item, i) => {
    const h = ((H - top - bottom) * item.value) / max;
    const x = left + i * step;
    const bar = svg("rect", { x: x + 1, y: H - bottom - h, width: Math.max(step - 2, 1), height: h, class: "bar" });
    bar.append(svg("title", {}, `${item.label}: ${money(item.value)}`));
    chart.append(bar);
    const last = i === items.length - 1;
    if ((items.length - 1 - i) % 7 === 0) {
      // every 7th day back from the last, which ends at the right edge
      const at = { x: last ? W : x + step / 2, y: H - 6, "text-anchor": last ? "end" : "middle" };
      chart.append(svg("text", at, item.label.slice(5)));
    }
  });
  container.replaceChildren(chart);
}

/** Horizontal bars: items [{label, value, limit?}], the limit drawn as an outline. */
function bars(container, items, empty) {
  if (!items.length) {
    container.replaceChildren(el("p", { class: "empty" }, empty));
    return;
  }
  const row = 24, label = 170, valueWidth = 140;
  const H = items.length * row + 4;
  const max = Math.max(...items.map((i) => Math.max(i.value, i.limit || 0)), 0) || 1;
  const [chart, W] = canvas(container, H);
  const span = W - label - valueWidth;
  items.forEach((item, i) => {
    const y = 2 + i * row;
    chart.append(svg("text", { x: label - 8, y: y + 16, "text-anchor": "end" }, shorten(item.label, 24)));
    if (item.limit) {
      chart.append(svg("rect", { x: label, y: y + 3, width: (span * item.limit) / max, height: row - 6, class: "limit" }));
    }
    const bar = svg("rect", { x: label, y: y + 3, width: Math.max((span * item.value) / max, 1), height: row - 6, class: "bar" });
    bar.append(svg("title", {}, `${item.label}: ${money(item.value)}`));
    chart.append(bar);
    const text = money(item.value) + (item.limit ? ` of ${money(item.limit)}` : "");
    chart.append(svg("text", { x: W - valueWidth + 8, y: y + 16 }, text));
  });
  container.replaceChildren(chart);
}

/** Table rows from arrays of cells: text, or [text, class, title]. */
function fillTable(table, rows, empty) {
  const width = table.tHead.rows[0].cells.length;
  const cell = (c) => {
    if (!Array.isArray(c)) return el("td", {}, c);
    return el("td", c[2] ? { class: c[1], title: c[2] } : { class: c[1] }, c[0]);
  };
  const body = rows.map((cells) => el("tr", {}, ...cells.map(cell)));
  if (!body.length) body.push(el("tr", {}, el("td", { colspan: width, class: "empty" }, empty)));
  table.tBodies[0].replaceChildren(...body);
}

// ---- keys -----------------------------------------------------------------------------------

async function loadKeys() {
  const body = await getJSON("/key/list?return_full_object=true");
  const keys = (body.keys || []).filter((k) => k && typeof k === "object");
  keys.sort((a, b) => (Number(b.spend) || 0) - (Number(a.spend) || 0));
  const total = keys.reduce((sum, k) => sum + (Number(k.spend) || 0), 0);
  $("keys-summary").textContent = `${keys.length} key${keys.length === 1 ? "" : "s"}, ${money(total)} spent`;
  const name = (k) => k.key_alias || k.key_name || shorten(k.token, 12);
  bars(
    $("keys-chart"),
    keys.slice(0, 20).map((k) => ({ label: name(k), value: Number(k.spend) || 0, limit: Number(k.max_budget) || 0 })),
    "No keys yet: make one with POST /key/generate.",
  );
  fillTable(
    $("keys-table"),
    keys.map((k) => [
      k.key_alias || "—",
      [k.key_name || "", "mono"],
      k.user_id || "",
      k.team_id || "",
      (k.models || []).length ? k.models.join(", ") : "all",
      [money(k.spend), "num"],
      [k.max_budget == null ? "—" : money(k.max_budget), "num"],
      k.blocked ? ["blocked", "bad"] : "no",
      k.expires ? when(k.expires) : "never",
    ]),
    "No keys.",
  );
}

// ---- spend ----------------------------------------------------------------------------------

async function loadSpend() {
  const today = Date.now();
  const since = new Date(today - 29 * DAY_MS).toISOString().slice(0, 10);
  const [total, logs] = await Promise.all([getJSON("/global/spend"), getJSON("/spend/logs?start_date=" + since)]);
  $("spend-total").textContent = money(total.spend);
  const rows = Array.isArray(logs) ? logs : [];

  const perDay = new Map();
  for (let i = 29; i >= 0; i--) perDay.set(new Date(today - i * DAY_MS).toISOString().slice(0, 10), 0);
  const perModel = new Map();
  for (const r of rows) {
    const day = String(r.startTime || "").slice(0, 10);
    if (perDay.has(day)) perDay.set(day, perDay.get(day) + (Number(r.spend) || 0));
    const model = r.model_group || r.model || "?";
    perModel.set(model, (perModel.get(model) || 0) + (Number(r.spend) || 0));
  }
  columns($("spend-by-day"), [...perDay].map(([label, value]) => ({ label, value })));
  bars(
    $("spend-by-model"),
    [...perModel].map(([label, value]) => ({ label, value })).sort((a, b) => b.value - a.value).slice(0, 12),
    "No calls in the last 30 days.",
  );
  fillTable(
    $("spend-table"),
    rows.slice(0, 100).map((r) => [
      [when(r.startTime), "nowrap"],
      r.model_group && r.model_group !== r.model ? `${r.model_group} (${r.model})` : r.model || "",
      [shorten(r.api_key, 12), "mono", r.api_key || ""],
      r.user || "",
      r.status === "success" ? "success" : [r.status || "", "bad"],
      [String(r.total_tokens ?? ""), "num"],
      [money(r.spend), "num"],
      [shorten(r.request_id, 20), "mono", r.request_id || ""],
    ]),
    "No calls yet. Every call made through the proxy is recorded here.",
  );
}

// ---- views ----------------------------------------------------------------------------------

const VIEWS = { chat: null, keys: loadKeys, spend: loadSpend };

function currentView() {
  const name = location.hash.slice(1);
  return name in VIEWS ? name : "chat";
}

async function show(name) {
  for (const view of Object.keys(VIEWS)) {
    $("view-" + view).hidden = view !== name;
    $("tab-" + view).classList.toggle("active", view === name);
  }
  if (location.hash.slice(1) !== name) history.replaceState(null, "", "#" + name);
  const load = VIEWS[name];
  if (!load) return;
  if (!currentKey()) {
    notice("Set the master key to see keys and spend.");
    return;
  }
  try {
    notice("");
    await load();
  } catch (e) {
    notice(`${name[0].toUpperCase() + name.slice(1)}: ${e.message}`);
  }
}

function start() {
  for (const view of Object.keys(VIEWS)) $("tab-" + view).addEventListener("click", () => show(view));
  $("key-form").addEventListener("submit", useKey);
  $("key-forget").addEventListener("click", forgetKey);
  $("chat-form").addEventListener("submit", send);
  $("prompt").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) send(e);
  });
  $("stop").addEventListener("click", () => chat.controller && chat.controller.abort());
  $("new-chat").addEventListener("click", newChat);
  $("keys-refresh").addEventListener("click", () => show("keys"));
  $("spend-refresh").addEventListener("click", () => show("spend"));
  showKeyStatus();
  if (currentKey()) loadModels();
  else notice("Enter the master key (or a virtual key) to start.");
  show(currentView());
}

start();
