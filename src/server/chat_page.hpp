// GET /: a minimal chat page, self-contained (no external assets: the
// server may run where nothing else can be reached). It keeps the
// conversation in the page and streams each answer from
// /v1/chat/completions; an API key, when the server wants one, is typed in
// and kept in the browser's localStorage.
#pragma once

namespace lowbit::server {

inline constexpr const char* kChatPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lowbit chat</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 48rem; margin: 0 auto; padding: 1rem; }
#log { border: 1px solid #ccc; border-radius: 6px; padding: .5rem; min-height: 20rem; overflow-y: auto; }
.msg { white-space: pre-wrap; margin: .4rem 0; }
.user { color: #134; font-weight: 600; }
.assistant { color: #222; }
.error { color: #a00; }
form { display: flex; gap: .5rem; margin-top: .5rem; }
textarea { flex: 1; min-height: 3rem; }
#settings { font-size: .85rem; margin-top: .5rem; color: #555; }
</style>
</head>
<body>
<h1>lowbit chat</h1>
<div id="log"></div>
<form id="form">
  <textarea id="input" placeholder="Say something (Enter sends, Shift+Enter: new line)"></textarea>
  <button id="send" type="submit">Send</button>
</form>
<div id="settings">
  <label>System <input id="system" size="30" placeholder="optional system prompt"></label>
  <label>Temperature <input id="temp" type="number" min="0" max="2" step="0.1" value="0.8" style="width:4rem"></label>
  <label>Max tokens <input id="max" type="number" min="1" value="256" style="width:5rem"></label>
  <label>API key <input id="key" type="password" size="12"></label>
  <button id="clear" type="button">Clear</button>
</div>
<script>
"use strict";
const log = document.getElementById("log"), input = document.getElementById("input");
const key = document.getElementById("key");
key.value = localStorage.getItem("lowbit-key") || "";
key.onchange = () => localStorage.setItem("lowbit-key", key.value);
let history = [];
function add(role, text) {
  const d = document.createElement("div");
  d.className = "msg " + role;
  d.textContent = text;
  log.appendChild(d);
  log.scrollTop = log.scrollHeight;
  return d;
}
document.getElementById("clear").onclick = () => { history = []; log.textContent = ""; };
input.addEventListener("keydown", e => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); document.getElementById("form").requestSubmit(); }
});
document.getElementById("form").onsubmit = async e => {
  e.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  history.push({role: "user", content: text});
  add("user", text);
  const out = add("assistant", "");
  const messages = [];
  const sys = document.getElementById("system").value.trim();
  if (sys) messages.push({role: "system", content: sys});
  const headers = {"Content-Type": "application/json"};
  if (key.value) headers["Authorization"] = "Bearer " + key.value;
  const send = document.getElementById("send");
  send.disabled = true;
  let answer = "";
  try {
    const r = await fetch("/v1/chat/completions", {method: "POST", headers, body: JSON.stringify({
      messages: messages.concat(history), stream: true,
      temperature: Number(document.getElementById("temp").value),
      max_tokens: Number(document.getElementById("max").value)})});
    if (!r.ok) throw new Error((await r.json()).error.message);
    const reader = r.body.getReader(), decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buf += decoder.decode(value, {stream: true});
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const event = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
        const j = JSON.parse(event.slice(6));
        if (j.error) throw new Error(j.error.message);
        const delta = j.choices && j.choices[0] && j.choices[0].delta;
        if (delta && delta.content) { answer += delta.content; out.textContent = answer; }
      }
      log.scrollTop = log.scrollHeight;
    }
    history.push({role: "assistant", content: answer});
  } catch (err) {
    out.className = "msg error";
    out.textContent = "error: " + err.message;
    history.pop();
  } finally {
    send.disabled = false;
  }
};
</script>
</body>
</html>
)HTML";

}  // namespace lowbit::server
