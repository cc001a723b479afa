"""lowbit.Model: a GGUF model (any file `lowbit generate` runs) from Python."""
from . import _lowbit

__all__ = ["Model"]


class Model:
    """A model loaded for inference.

        m = lowbit.Model("models/shakespeare-b158.gguf")
        ids = m.tokenize("ROMEO:")
        for piece in m.generate("ROMEO:", n_predict=32, temperature=0):
            print(piece, end="", flush=True)

    generate() and chat() return streaming iterators of text pieces; their
    .result (after the last piece) has the counts, timings and finish_reason.
    The sampling options and their defaults are the CLI's (temperature,
    top_k, top_p, min_p, repeat_penalty, repeat_last_n, seed; temperature=0
    is greedy). Ctrl-C stops a generation with KeyboardInterrupt.
    """

    def __init__(self, path, n_ctx=0, int8=False, int8_threshold=6.0):
        self._m = _lowbit.Model(str(path), n_ctx, int8, int8_threshold)

    def tokenize(self, text, add_bos=False, special=False):
        """Token ids of text (special=True: special tokens written in the text are tokens)."""
        return self._m.tokenize(text, add_bos, special)

    def detokenize(self, ids, skip_special=False):
        return self._m.detokenize(list(ids), skip_special)

    def _ids(self, text_or_ids, add_bos=True):
        if isinstance(text_or_ids, str):
            return self._m.tokenize(text_or_ids, add_bos, True)
        return [int(t) for t in text_or_ids]

    def logits(self, text_or_ids):
        """float32 [n_tokens, n_vocab]: the logits after each token (text gets BOS)."""
        return self._m.logits(self._ids(text_or_ids))

    def perplexity(self, text_or_ids):
        """exp of the mean negative log-likelihood of each token after the first."""
        return self._m.perplexity(self._ids(text_or_ids))

    def generate(self, prompt, n_predict=128, **sampling):
        """Streams the text generated after `prompt` (str pieces)."""
        return self._m.generate(prompt, n_predict, **sampling)

    def chat(self, messages, n_predict=128, template="", **sampling):
        """Streams the assistant's answer to `messages` (a list of
        {"role": ..., "content": ...} dicts or (role, content) pairs), formatted
        with the model's chat template (or template="llama3"/"bitnet"/"plain")."""
        pairs = [(m["role"], m["content"]) if isinstance(m, dict) else (m[0], m[1]) for m in messages]
        prompt = self._m.format_chat(pairs, template)
        stop = list(sampling.pop("stop", []))
        if self._m.chat_template_is_plain(template):
            stop.append("\nuser:")
        return self._m.generate(prompt, n_predict, stop=stop, **sampling)

    @property
    def metadata(self):
        """The GGUF metadata as a dict (arrays as lists)."""
        return self._m.metadata

    @property
    def architecture(self):
        return self._m.architecture

    @property
    def n_vocab(self):
        return self._m.n_vocab

    @property
    def n_ctx(self):
        return self._m.n_ctx
