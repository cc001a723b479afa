// Writes tests/reference/golden/tokenizer_llama3.json: LLaMA-3 token ids made
// by an independent implementation (the npm package `tiktoken`, bindings of
// OpenAI's tokenizer) from the same ranks file, pattern and special tokens
// that lowbit's tokenizer loads. The C++ tests compare against these ids.
//
//   cd tests/reference && npm ci && node tokenizer_ref.mjs [DATA_DIR]
//
// DATA_DIR defaults to ../../data (the repository's data/).
import { Tiktoken } from "tiktoken/lite";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = process.argv[2] ?? path.join(here, "../../data");
const ranks = fs.readFileSync(path.join(dataDir, "llama3-tiktoken.model"), "utf8");
const shakespeare = fs.readFileSync(path.join(dataDir, "tinyshakespeare.txt"), "utf8");

// The pattern from data/README.md (and microsoft/BitNet gpu/tokenizer.py).
const pattern =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// Special tokens as LLaMA-3 defines them: 256 ids after the 128000 ranks.
const numBase = ranks.split("\n").filter((l) => l.trim().length > 0).length;
const names = [
  "<|begin_of_text|>", "<|end_of_text|>",
  "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
  "<|reserved_special_token_2|>", "<|reserved_special_token_3|>",
  "<|start_header_id|>", "<|end_header_id|>",
  "<|reserved_special_token_4|>", "<|eot_id|>",
];
for (let i = 5; i < 256 - 5; ++i) names.push(`<|reserved_special_token_${i}|>`);
const special = {};
names.forEach((n, i) => (special[n] = numBase + i));

const enc = new Tiktoken(ranks, special, pattern);

const ordinary = [
  "",
  "Hello, world!",
  "hello world",
  " leading space",
  "trailing space ",
  "The quick brown fox jumps over the lazy dog.",
  "I'm sure you'll see they've done it, haven't they? She'd say we're fine.",
  "DON'T SHOUT, IT'S LOUD. I'LL WAIT.",
  "1 12 123 1234 12345 123456",
  "3.14159 2,718,281 -42 +7 1e10 0x1F",
  "phone: 555-0123, year 2024!",
  "a  b   c    d     e",
  "tabs\tand\t\ttabs",
  "line1\nline2\n\nline4\n",
  "windows\r\nline\r\nendings\r\n\r\n",
  "   \n   \n",
  "        indented code",
  "trailing spaces at end     ",
  "\n\n\n",
  "日本語のテキストです。中文文本。",
  "한국어 텍스트",
  "Emoji: 😀🎉👍🏽 family 👨‍👩‍👧‍👦!",
  "Café naïve résumé façade Ångström",
  "Привет, мир! Γειά σου κόσμε",
  "مرحبا بالعالم",
  "def f(x):\n    return x ** 2  # square\n",
  "for (int i = 0; i < n; ++i) { s += a[i]; }",
  "<html><body class=\"x\">Hi</body></html>",
  "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
  "https://example.com/path?query=1&b=two#frag",
  "$$$ %%% ^^^ &&& *** ((( )))",
  "...!!!???---___===",
  "ThisIsCamelCase and snake_case_words",
  "supercalifragilisticexpialidocious antidisestablishmentarianism",
  "x\u00a0y\u2003z\u3000w",
  "mixed123numbers456abc7890",
  "<|begin_of_text|>not special here<|eot_id|>",
  // Unicode corners where regex engines differ: case folding (long s, Kelvin
  // sign), NEL and line separator as whitespace, zero-width and BOM, math letters.
  "\u017f's \u212a'S x\u0085y\u2028z \u200b\ufeff\u{1d518}\u2115 \u0663\u216b \u0130\u01c5",
];
const withSpecial = [
  "<|begin_of_text|>Hello<|eot_id|>",
  "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
  "a<|end_of_text|>b<|reserved_special_token_100|>c <|unknown|>",
  "User: hi<|eot_id|>Assistant: ",
];

const cases = [];
for (const text of ordinary) cases.push({ text, parse_special: false, ids: Array.from(enc.encode_ordinary(text)) });
for (const text of withSpecial) cases.push({ text, parse_special: true, ids: Array.from(enc.encode(text, "all")) });

const head = shakespeare.slice(0, 20000);
const out = {
  source: "npm tiktoken " + JSON.parse(fs.readFileSync(path.join(here, "node_modules/tiktoken/package.json"), "utf8")).version,
  pattern,
  n_base: numBase,
  cases,
  shakespeare: { text: head, ids: Array.from(enc.encode_ordinary(head)) },
  shakespeare_full_count: enc.encode_ordinary(shakespeare).length,
};
enc.free();
fs.mkdirSync(path.join(here, "golden"), { recursive: true });
fs.writeFileSync(path.join(here, "golden/tokenizer_llama3.json"), JSON.stringify(out, null, 0) + "\n");
console.log(`wrote ${cases.length} cases, ${out.shakespeare.ids.length} shakespeare ids, full count ${out.shakespeare_full_count}`);
