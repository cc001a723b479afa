// Load generator for `lowbit serve` (figures in docs/SERVER.md):
//   node tests/e2e/loadgen.mjs PORT [--concurrency 1,4,16] [--requests-per-client 4] [--max-tokens 64] [--api-key K]
// For each concurrency level, that many clients send streaming completions
// back to back; prints aggregate generated tokens/s (usage counts over wall
// time) and p50/p99 of time to first token and of whole-request latency.
// Plain fetch, so it needs no npm modules.
const args = process.argv.slice(2);
const port = args[0];
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const levels = opt("concurrency", "1,4,16").split(",").map(Number);
const perClient = Number(opt("requests-per-client", "4"));
const maxTokens = Number(opt("max-tokens", "64"));
const apiKey = opt("api-key", "");
if (!port) {
  console.error("usage: node loadgen.mjs PORT [--concurrency 1,4,16] [--requests-per-client N] [--max-tokens N]");
  process.exit(2);
}
const url = `http://127.0.0.1:${port}/v1/completions`;
const headers = { "Content-Type": "application/json", ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) };

async function one(i) {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      prompt: `Request number ${i}: once upon a time`, max_tokens: maxTokens, stream: true, seed: i,
      stream_options: { include_usage: true },
    }),
  });
  if (res.status !== 200) return { status: res.status };
  let first = null, tokens = 0, buf = "";
  const dec = new TextDecoder();
  for await (const part of res.body) {
    buf += dec.decode(part, { stream: true });
    let k;
    while ((k = buf.indexOf("\n\n")) >= 0) {
      const ev = buf.slice(0, k);
      buf = buf.slice(k + 2);
      if (!ev.startsWith("data: ") || ev === "data: [DONE]") continue;
      const j = JSON.parse(ev.slice(6));
      if (j.usage) tokens = j.usage.completion_tokens;
      if (first === null && j.choices[0]?.text) first = performance.now() - t0;
    }
  }
  return { status: 200, ttft: first ?? performance.now() - t0, total: performance.now() - t0, tokens };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

await one(-1);  // warm-up: first-touch of the weights and caches is not part of any figure
let base = null;
console.log("concurrency  requests  tokens  wall_s  tok/s   x1-stream  ttft_p50_ms ttft_p99_ms  lat_p50_ms lat_p99_ms  non200");
for (const c of levels) {
  let next = 0;
  const results = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      for (let i; (i = next++) < c * perClient; ) results.push(await one(i));
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const ok = results.filter((r) => r.status === 200);
  const tokens = ok.reduce((a, r) => a + r.tokens, 0);
  const rate = tokens / wall;
  base ??= rate;
  const f = (x) => x.toFixed(1).padStart(10);
  console.log(
    `${String(c).padStart(11)} ${String(results.length).padStart(9)} ${String(tokens).padStart(7)} ${wall.toFixed(2).padStart(7)}` +
      ` ${rate.toFixed(1).padStart(7)} ${(rate / base).toFixed(2).padStart(10)}` +
      ` ${f(pct(ok.map((r) => r.ttft), 50))} ${f(pct(ok.map((r) => r.ttft), 99))}` +
      `  ${f(pct(ok.map((r) => r.total), 50))} ${f(pct(ok.map((r) => r.total), 99))}  ${results.length - ok.length}`,
  );
}
