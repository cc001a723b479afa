// End-to-end test of `lowbit serve` with the official `openai` npm client:
//   node tests/e2e/client_test.mjs PORT [API_KEY] [MODEL_ID]
// Exits 0 when every check passes; prints the failing check otherwise.
import assert from "node:assert/strict";
import OpenAI from "openai";

const [port, apiKey = "none", model = "tiny"] = process.argv.slice(2);
if (!port) {
  console.error("usage: node client_test.mjs PORT [API_KEY] [MODEL_ID]");
  process.exit(2);
}
const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
const messages = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Say something." },
];

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

check("models.list names the served model", async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, [model]);
});

check("chat: non-streaming, greedy, usage", async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0 });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(typeof r.choices[0].message.content, "string");
  assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 0);
  assert.ok(r.usage.completion_tokens <= 8);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

check("chat: streaming gives the same text as non-streaming", async () => {
  const plain = await client.chat.completions.create({ model, messages, max_tokens: 16, temperature: 0 });
  const stream = await client.chat.completions.create({
    model, messages, max_tokens: 16, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  let text = "", finish = null, usage = null, role = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, "chat.completion.chunk");
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      if (c.delta.role) role = c.delta.role;
      if (c.delta.content) text += c.delta.content;
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(role, "assistant");
  assert.equal(text, plain.choices[0].message.content);
  assert.equal(finish, plain.choices[0].finish_reason);
  assert.deepEqual(usage, plain.usage);
});

check("completions: streaming and non-streaming agree; seed makes sampling repeatable", async () => {
  const req = { model, prompt: "Once upon a time", max_tokens: 12, temperature: 0.9, seed: 1234 };
  const a = await client.completions.create(req);
  const b = await client.completions.create(req);
  assert.equal(a.object, "text_completion");
  assert.equal(a.choices[0].text, b.choices[0].text);
  let text = "";
  for await (const chunk of await client.completions.create({ ...req, stream: true })) text += chunk.choices[0]?.text ?? "";
  assert.equal(text, a.choices[0].text);
});

check("errors: unknown model is 404, bad values are 400", async () => {
  await assert.rejects(client.chat.completions.create({ model: "no-such-model", messages }), (e) => {
    assert.ok(e instanceof OpenAI.NotFoundError);
    assert.equal(e.code, "model_not_found");
    return true;
  });
  await assert.rejects(client.chat.completions.create({ model, messages, temperature: 7 }), (e) => {
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.param, "temperature");
    return true;
  });
});

check("eight concurrent streams all finish", async () => {
  const runs = Array.from({ length: 8 }, async (_, i) => {
    const s = await client.completions.create({ model, prompt: `stream ${i}`, max_tokens: 20, stream: true, seed: i });
    let finish = null;
    for await (const chunk of s) finish = chunk.choices[0]?.finish_reason ?? finish;
    return finish;
  });
  for (const f of await Promise.all(runs)) assert.ok(["stop", "length"].includes(f));
});

check("an aborted stream leaves the server serving", async () => {
  const s = await client.completions.create({ model, prompt: "x", max_tokens: 400, stream: true });
  for await (const _ of s) {
    s.controller.abort();
    break;
  }
  const r = await client.completions.create({ model, prompt: "y", max_tokens: 2 });
  assert.equal(r.choices.length, 1);
});

let failed = 0;
for (const { name, fn } of checks) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${e?.stack ?? e}`);
  }
}
console.log(failed ? `${failed} of ${checks.length} checks failed` : `all ${checks.length} checks passed`);
process.exit(failed ? 1 : 0);
