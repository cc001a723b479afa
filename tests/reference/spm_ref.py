#!/usr/bin/python3
"""Independent reference for lowbit's SentencePiece-style (LLaMA-2) tokenizer.

Trains a tiny BPE model with byte fallback on golden/spm_train.txt with
SentencePiece itself (Debian python3-sentencepiece), with LLaMA-2's settings
that matter to encoding (identity normalization, a dummy prefix, extra
whitespace kept, digits split, byte fallback), and writes
golden/tokenizer_spm.json:
  pieces, scores, types   the GGUF "llama" vocabulary the way llama.cpp's
                          converter writes it from the .model file
                          (_set_vocab_sentencepiece: id_to_piece, get_score,
                          is_unknown/is_control/is_unused/is_byte)
  hf_tokenizer            a Hugging Face tokenizer.json of the same model,
                          as transformers' LlamaConverter lays it out
                          (vocab, merges ordered by the merged piece's rank,
                          Prepend + Replace normalizer)
  cases                   strings with sp.encode's ids and sp.decode's text
  long                    20 KB of tinyshakespeare past the training text
                          (data/tinyshakespeare.txt of this repository), its ids
tests/tokenizer/spm_golden_test.cpp checks that lowbit encodes every string to
exactly these ids (from the GGUF vocabulary and from the tokenizer.json) and
decodes them back.

Run: /usr/bin/python3 tests/reference/spm_ref.py
"""
import json
import os
import tempfile

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")

# llama.cpp's gguf.TokenType values.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

CASES = [
    "",
    "Hello world",
    "hello world",
    "First Citizen:",
    "Before we proceed any further, hear me speak.",
    " leading space",
    "  two leading spaces",
    "trailing space ",
    "trailing spaces   ",
    "multiple   spaces   inside",
    " ",
    "   ",
    "line one\nline two",
    "\n",
    "ends with newline\n",
    "\n\nstarts with newlines",
    "tab\tseparated\tvalues",
    "\t",
    "mixed \t \n whitespace",
    "In 1603 there were 42 players.",
    "3.14159 and 2718281828",
    "x=1+2*3-4/5",
    "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e",
    "na\u00efve co\u00f6perate",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440",
    "\u4f60\u597d\uff0c\u4e16\u754c",
    "\u3053\u3093\u306b\u3061\u306f",
    "\u0645\u0631\u062d\u0628\u0627",
    "\u05e9\u05dc\u05d5\u05dd",
    "\u0928\u092e\u0938\u094d\u0924\u0947",
    "emoji \U0001F600 face",
    "\U0001F44D\U0001F3FD",
    "family \U0001F468\u200d\U0001F469\u200d\U0001F467",
    "ZQXJ zqxj {}[]<>|~`^",
    "@#$%&",
    "CamelCaseWordsWithoutSpaces",
    "MENENIUS: What work's, my countrymen, in hand?",
    "You are all resolved rather to die than to famish?",
    "a",
    "ab",
    "The quick brown fox jumps over the lazy dog.",
    "\u2581 literal lower one eighth block",
    "mixed\u00a0no-break\u00a0space",
    "math \u2200x\u2208\u211d: x\u00b2 \u2265 0",
    # Control pieces are never matched in text by SentencePiece; the C++
    # test also joins "Hello" and " world" around parsed <s> and </s>.
    "<s>Hello</s>",
    "Hello",
    " world",
]


def train(workdir):
    prefix = os.path.join(workdir, "spm")
    spm.SentencePieceTrainer.train(
        input=os.path.join(GOLDEN, "spm_train.txt"),
        model_prefix=prefix,
        model_type="bpe",
        vocab_size=600,
        character_coverage=1.0,
        byte_fallback=True,
        normalization_rule_name="identity",
        add_dummy_prefix=True,
        remove_extra_whitespaces=False,
        split_digits=True,
        allow_whitespace_only_pieces=True,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    return spm.SentencePieceProcessor(model_file=prefix + ".model")


def token_type(sp, i):
    if sp.is_unknown(i):
        return UNKNOWN
    if sp.is_control(i):
        return CONTROL
    if sp.is_unused(i):
        return UNUSED
    if sp.is_byte(i):
        return BYTE
    return NORMAL


def hf_tokenizer(sp, pieces, types):
    """tokenizer.json as transformers' LlamaConverter writes it: merges are
    every split of a normal piece into two pieces, ordered by the merged
    piece's id, then the left's and the right's (SentencePieceExtractor)."""
    vocab = {p: i for i, p in enumerate(pieces)}
    merges = []
    for i, p in enumerate(pieces):
        if types[i] != NORMAL:
            continue
        for k in range(1, len(p)):
            left, right = p[:k], p[k:]
            if left in vocab and right in vocab:
                merges.append((i, vocab[left], vocab[right], left, right))
    merges.sort()
    added = [
        {"id": i, "content": pieces[i], "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for i in range(len(pieces)) if types[i] in (UNKNOWN, CONTROL)
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": None,
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": pieces[sp.unk_id()],
                  "continuing_subword_prefix": None, "end_of_word_suffix": None, "fuse_unk": True,
                  "byte_fallback": True, "vocab": vocab,
                  "merges": [f"{m[3]} {m[4]}" for m in merges]},
    }


def main():
    with tempfile.TemporaryDirectory() as d:
        sp = train(d)
    n = sp.get_piece_size()
    pieces = [sp.id_to_piece(i) for i in range(n)]
    scores = [float(sp.get_score(i)) for i in range(n)]
    types = [token_type(sp, i) for i in range(n)]
    cases = []
    for text in CASES:
        ids = sp.encode(text)
        cases.append({"text": text, "ids": ids, "decoded": sp.decode(ids)})
    # A longer run of text the model was not trained on (the training text
    # is the start of the same play), kept in the golden file.
    shakespeare = os.path.join(HERE, "..", "..", "data", "tinyshakespeare.txt")
    with open(shakespeare, encoding="utf-8") as f:
        long_text = f.read()[9000:29000]
    out = {
        "generator": f"tests/reference/spm_ref.py, sentencepiece {spm.__version__}",
        "bos_id": sp.bos_id(), "eos_id": sp.eos_id(), "unk_id": sp.unk_id(),
        "pieces": pieces, "scores": scores, "types": types,
        "hf_tokenizer": hf_tokenizer(sp, pieces, types),
        "cases": cases,
        "long": {"text": long_text, "ids": sp.encode(long_text), "decoded": sp.decode(sp.encode(long_text))},
    }
    with open(os.path.join(GOLDEN, "tokenizer_spm.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=0)
        f.write("\n")
    n_bytes = sum(1 for c in cases for i in c["ids"] if types[i] == BYTE)
    print(f"{n} pieces, {len(cases)} cases, {n_bytes} byte-fallback ids")


if __name__ == "__main__":
    main()
