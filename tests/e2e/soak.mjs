// Soak load for `lowbit serve` (directly or through HAProxy): N requests at
// C concurrency, alternating streaming and non-streaming completions, plain
// fetch; prints a JSON tally of outcomes and the wall time.
//   node tests/e2e/soak.mjs PORT [--requests 10000] [--concurrency 16] [--max-tokens 8]
const args = process.argv.slice(2);
const port = args[0];
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const total = opt("requests", 10000), concurrency = opt("concurrency", 16), maxTokens = opt("max-tokens", 8);
if (!port) {
  console.error("usage: node soak.mjs PORT [--requests N] [--concurrency C] [--max-tokens M]");
  process.exit(2);
}
const deadline = Date.now() + 30 * 60_000;  // bounded whatever the server does
const tally = {};
let next = 0;

async function one(i) {
  const stream = i % 2 === 1;
  const res = await fetch(`http://127.0.0.1:${port}/v1/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Request-Id": `soak-${i}` },
    body: JSON.stringify({ prompt: `soak ${i}: once upon a time`, max_tokens: maxTokens, seed: i, stream }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = await res.text();
  if (res.status === 200 && stream && !body.includes("data: [DONE]")) return "200-truncated";
  return String(res.status);
}

const t0 = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < total && Date.now() < deadline) {
      const i = next++;
      let o;
      try {
        o = await one(i);
      } catch (e) {
        o = `error: ${e.name}`;
      }
      tally[o] = (tally[o] ?? 0) + 1;
    }
  }));
console.log(JSON.stringify({ requests: next, seconds: ((performance.now() - t0) / 1000).toFixed(1), tally }));
