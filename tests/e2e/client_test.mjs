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

const root = `http://127.0.0.1:${port}`;
const rawPost = async (path, body) => {
  const r = await fetch(root + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return r.json();
};

check("embeddings: base64 (the client's default) and float agree, unit length, order kept", async () => {
  const input = ["To be, or not to be", "that is the question"];
  const a = await client.embeddings.create({ model, input });
  const b = await client.embeddings.create({ model, input, encoding_format: "float" });
  assert.equal(a.object, "list");
  assert.equal(a.data.length, 2);
  for (let i = 0; i < 2; i++) {
    assert.equal(a.data[i].index, i);
    assert.equal(a.data[i].embedding.length, 256); // the bundled model's n_embd
    const norm = Math.hypot(...b.data[i].embedding);
    assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
    for (let k = 0; k < 256; k++) assert.ok(Math.abs(a.data[i].embedding[k] - b.data[i].embedding[k]) < 1e-6);
  }
  assert.ok(a.usage.prompt_tokens > 0);
});

check("chat: response_format json_schema gives JSON matching the schema", async () => {
  const schema = {
    type: "object",
    properties: { speaker: { type: "string", maxLength: 12 }, line: { type: "integer" }, angry: { type: "boolean" } },
    required: ["speaker", "line", "angry"],
  };
  for (const seed of [11, 12]) {
    const r = await client.chat.completions.create({
      model, messages, max_tokens: 100, temperature: 1.5, seed,
      response_format: { type: "json_schema", json_schema: { name: "line", schema, strict: true } },
    });
    const v = JSON.parse(r.choices[0].message.content);
    assert.deepEqual(Object.keys(v), ["speaker", "line", "angry"]);
    assert.equal(typeof v.speaker, "string");
    assert.ok(Number.isInteger(v.line));
    assert.equal(typeof v.angry, "boolean");
  }
});

check("completions: a prompt of token ids gives the text prompt's completion", async () => {
  const prompt = "Now is the winter";
  const { tokens } = await rawPost("/tokenize", { content: prompt, add_special: true });
  const a = await client.completions.create({ model, prompt, max_tokens: 10, temperature: 0 });
  const b = await client.completions.create({ model, prompt: tokens, max_tokens: 10, temperature: 0 });
  assert.equal(b.choices[0].text, a.choices[0].text);
  assert.equal(b.usage.prompt_tokens, tokens.length);
});

check("completions: presence and frequency penalties change a greedy repetition", async () => {
  const req = { model, prompt: "the the the the the", max_tokens: 24, temperature: 0 };
  const plain = await client.completions.create(req);
  const penalized = await client.completions.create({ ...req, presence_penalty: 2, frequency_penalty: 2 });
  assert.notEqual(penalized.choices[0].text, plain.choices[0].text);
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
