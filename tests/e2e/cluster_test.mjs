// Scale-out test: 3 `lowbit serve` replicas behind HAProxy (scripts/serve-cluster),
// 200 requests at 16 concurrency (half streaming) with the official `openai`
// client, one replica SIGKILLed mid-run:
//   node tests/e2e/cluster_test.mjs LB_PORT STATS_PORT RUN_DIR [MODEL_ID]
// Checks: every non-streaming request ends 200 or a clean retryable 503;
// every stream completes (finish_reason, [DONE]) or ends in an error the
// client sees (an error event or a cut connection), none silently; no
// request is answered by two replicas (their --access-log lines); the
// killed replica is taken out of the pool and, once restarted, back in;
// /metrics/rK is replica rK's, labelled replica="rK".
// Exits 0 when all hold.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import OpenAI from "openai";

const [lbPort, statsPort, runDir, model = "tiny"] = process.argv.slice(2);
if (!runDir) {
  console.error("usage: node cluster_test.mjs LB_PORT STATS_PORT RUN_DIR [MODEL_ID]");
  process.exit(2);
}
const TOTAL = 200, CONCURRENCY = 16, KILL_AFTER = 50, VICTIM = "r2";
const deadline = Date.now() + 150_000;  // the whole test, whatever happens
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const client = new OpenAI({ baseURL: `http://127.0.0.1:${lbPort}/v1`, apiKey: "none", maxRetries: 0, timeout: 30_000 });

// Server name -> HAProxy's status for it ("UP", "DOWN", "UP 1/2", ...).
async function replicaStatus() {
  const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
  const [head, ...rows] = csv.trim().split("\n");
  const cols = head.replace(/^# /, "").split(",");
  const out = {};
  for (const row of rows) {
    const f = row.split(",");
    if (f[0] === "replicas" && /^r\d+$/.test(f[1])) out[f[1]] = f[cols.indexOf("status")];
  }
  return out;
}

async function waitFor(what, pred) {
  while (Date.now() < deadline) {
    try {
      if (pred(await replicaStatus())) return Date.now();
    } catch {}
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function nonStreaming(i) {
  try {
    const r = await client.completions.create(
      { model, prompt: `request ${i}: once upon a time`, max_tokens: 24, seed: i },
      { headers: { "X-Request-Id": `req-${i}` } });
    assert.equal(r.object, "text_completion");
    assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
    return "200";
  } catch (e) {
    if (e instanceof OpenAI.APIError && e.status === 503 && e.headers?.get?.("retry-after")) return "503";
    return `bad: ${e.status ?? ""} ${e.message}`;
  }
}

async function streaming(i) {
  let finish = null;
  try {
    const stream = await client.completions.create(
      { model, prompt: `request ${i}: once upon a time`, max_tokens: 24, seed: i, stream: true },
      { headers: { "X-Request-Id": `req-${i}` } });
    for await (const chunk of stream) finish = chunk.choices[0]?.finish_reason ?? finish;
  } catch (e) {
    if (e instanceof OpenAI.APIError && e.status === 503) return "503";
    return finish ? `bad: error after finish_reason: ${e.message}` : "error-event";
  }
  return finish ? "completed" : "bad: the stream ended without finish_reason or error";
}

async function main() {
  await waitFor("3 replicas up", (s) => Object.values(s).filter((v) => v === "UP").length === 3);
  const outcomes = new Map();
  let next = 0, done = 0, killedAt = 0;
  let killed;
  const killer = (async () => {
    while (done < KILL_AFTER && Date.now() < deadline) await sleep(10);
    const pid = Number(readFileSync(`${runDir}/${VICTIM}.pid`, "utf8"));
    process.kill(pid, "SIGKILL");
    killedAt = Date.now();
    const out = await waitFor(`${VICTIM} taken out`, (s) => !s[VICTIM].startsWith("UP"));
    const back = await waitFor(`${VICTIM} back in`, (s) => s[VICTIM] === "UP");
    killed = { pid, outMs: out - killedAt, backMs: back - killedAt };
  })();
  const worker = async () => {
    while (next < TOTAL && Date.now() < deadline) {
      const i = next++;
      outcomes.set(i, await (i % 2 ? streaming(i) : nonStreaming(i)));
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await killer;

  const tally = {};
  for (const o of outcomes.values()) tally[o] = (tally[o] ?? 0) + 1;
  console.log(JSON.stringify({ tally, killed }));
  assert.equal(outcomes.size, TOTAL, "every request ran");
  const bad = [...outcomes].filter(([, o]) => o.startsWith("bad"));
  assert.deepEqual(bad, [], "every request ended as allowed");

  // Each replica's own /metrics through the balancer, labelled with its name.
  for (const r of ["r1", "r2", "r3"]) {
    const text = await (await fetch(`http://127.0.0.1:${lbPort}/metrics/${r}`)).text();
    assert.match(text, new RegExp(`lowbit_slots_total\\{replica="${r}"\\} 2`), `/metrics/${r}`);
  }

  // Answered by at most one replica: "done <id> 200" lines over all replica logs.
  const answered = {};
  for (const f of readdirSync(runDir).filter((f) => /^r\d+\.log$/.test(f)))
    for (const m of readFileSync(`${runDir}/${f}`, "utf8").matchAll(/lowbit: done (req-\d+) 200 /g))
      answered[m[1]] = (answered[m[1]] ?? 0) + 1;
  const twice = Object.entries(answered).filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], "no request answered twice");
  // (A replica killed between writing a response and logging it would miss
  // one line; more than one missing means the log does not see answers.)
  const ok = [...outcomes].filter(([, o]) => o === "200" || o === "completed");
  const unlogged = ok.filter(([i]) => answered[`req-${i}`] !== 1).map(([i]) => i);
  assert.ok(unlogged.length <= 1, `answered but not logged by any replica: ${unlogged}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  });
