// lowbit.Model: a GGUF model for inference from Python. This is the one
// file of the binding that uses the model API (load_gguf_model,
// LoadedModel, Session, GenerateOptions/GenerateResult), so that a change
// of that API is adapted here and nowhere else.
//
// Every call that computes releases the GIL. A generation runs on its own
// thread and streams its text through a TextStream (text_stream.hpp: a few
// pieces ahead of the iterator at most; Ctrl-C cancels it). A new call on
// the model cancels a generation left unfinished, and so does garbage
// collection.
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <mutex>
#include <optional>

#include "bindings.hpp"
#include "core/error.hpp"
#include "gguf_values.hpp"
#include "model/gguf_model.hpp"
#include "model/session.hpp"
#include "text_stream.hpp"
#include "tokenizer/chat_template.hpp"

namespace lowbit::py {

namespace {

std::string finish_reason_of(const GenerateResult& r) { return std::string(finish_reason_name(r.finish_reason)); }

class PyModel;

// One generation: Session::generate on the stream's thread.
class Generation {
 public:
  Generation(std::shared_ptr<PyModel> model, std::string prompt, GenerateOptions opt);
  ~Generation();

  pb::object next() { return stream_->next(); }
  void stop() { stream_->stop(); }

  pb::dict result() {
    pb::dict d;
    std::lock_guard lock(mu_);
    if (!result_) return d;
    d["text"] = to_str(result_->text);
    d["n_prompt"] = result_->n_prompt;
    d["n_generated"] = result_->n_generated;
    d["prefill_seconds"] = result_->prefill_seconds;
    d["decode_seconds"] = result_->decode_seconds;
    d["finish_reason"] = finish_reason_of(*result_);
    return d;
  }

 private:
  std::shared_ptr<PyModel> model_;
  std::mutex mu_;
  std::optional<GenerateResult> result_;
  std::unique_ptr<TextStream> stream_;  // last: stopped (joined) before the rest is destroyed
};

class PyModel {
 public:
  PyModel(const std::string& path, int64_t n_ctx, bool int8, float int8_threshold) {
    ModelLoadOptions lo;
    lo.int8 = int8;
    lo.int8_threshold = int8_threshold;
    pb::gil_scoped_release nogil;
    m_ = load_gguf_model(path, lo);
    session_ = std::make_unique<Session>(*m_.model, *m_.tokenizer, n_ctx > 0 ? n_ctx : m_.config.n_ctx_train);
  }

  std::vector<int32_t> tokenize(const std::string& text, bool add_bos, bool special) const {
    return m_.tokenizer->encode(text, add_bos, special);
  }
  pb::str detokenize(const std::vector<int32_t>& ids, bool skip_special) const {
    for (int32_t id : ids) check_id(id);
    return to_str(m_.tokenizer->decode(ids, skip_special));
  }

  // Logits after each token, [n, n_vocab], fed one at a time from an empty
  // cache (the decode path); Ctrl-C is checked between tokens.
  pb::array_t<float> logits(const std::vector<int32_t>& ids) {
    check_ids(ids);
    const int64_t nv = m_.tokenizer->n_vocab();
    pb::array_t<float> out({int64_t(ids.size()), nv});
    float* op = out.mutable_data();
    cancel_active();
    std::lock_guard lock(busy_);
    session_->reset();
    for (size_t i = 0; i < ids.size(); ++i) {
      {
        pb::gil_scoped_release nogil;
        const std::vector<float>& l = session_->eval({ids[i]}, 1);
        LOWBIT_CHECK(int64_t(l.size()) >= nv, "model returned {} logits for a vocabulary of {}", l.size(), nv);
        std::copy(l.begin(), l.begin() + nv, op + int64_t(i) * nv);
      }
      if (PyErr_CheckSignals() != 0) throw pb::error_already_set();
    }
    return out;
  }

  // exp(mean negative log-likelihood) of each token after the first.
  double perplexity(const std::vector<int32_t>& ids) {
    if (ids.size() < 2) throw pb::value_error("perplexity needs at least 2 tokens");
    check_ids(ids);
    cancel_active();
    std::lock_guard lock(busy_);
    session_->reset();
    double nll = 0;
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      {
        pb::gil_scoped_release nogil;
        const std::vector<float>& l = session_->eval({ids[i]}, 1);
        double mx = -INFINITY, sum = 0;
        for (float v : l) mx = std::max(mx, double(v));
        for (float v : l) sum += std::exp(double(v) - mx);
        nll -= double(l[size_t(ids[i + 1])]) - mx - std::log(sum);
      }
      if (PyErr_CheckSignals() != 0) throw pb::error_already_set();
    }
    return std::exp(nll / double(ids.size() - 1));
  }

  std::string format_chat(const std::vector<std::pair<std::string, std::string>>& msgs,
                          const std::string& template_name) const {
    std::vector<ChatMessage> messages;
    for (const auto& [role, content] : msgs) messages.push_back({role, content});
    return lowbit::format_chat(chat_template(template_name), messages);
  }
  bool chat_template_is_plain(const std::string& template_name) const {
    return chat_template(template_name) == ChatTemplate::Plain;
  }

  pb::dict metadata() const { return gguf_metadata_to_py(m_.file->metadata()); }
  std::string architecture() const { return m_.file->architecture(); }
  int64_t n_vocab() const { return m_.tokenizer->n_vocab(); }
  int64_t n_ctx() const { return session_->n_ctx(); }

  // The generation whose iterator is alive, if any: cancelled by the next
  // call on the model (it would otherwise wait for the session forever).
  // Only touched with the GIL held.
  void set_active(Generation* g) { active_ = g; }
  void clear_active(Generation* g) {
    if (active_ == g) active_ = nullptr;
  }
  void cancel_active() {
    if (active_) active_->stop();
    active_ = nullptr;
  }

  // Runs one generation on the calling (stream) thread.
  GenerateResult run_generate(const std::string& prompt, const GenerateOptions& opt, const TextSink& sink) {
    std::lock_guard lock(busy_);
    return session_->generate(prompt, opt, sink);
  }

 private:
  void check_id(int32_t id) const {
    if (id < 0 || id >= m_.tokenizer->n_vocab())
      throw pb::value_error("token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                            std::to_string(m_.tokenizer->n_vocab()) + ")");
  }
  void check_ids(const std::vector<int32_t>& ids) const {
    if (ids.empty()) throw pb::value_error("no tokens");
    if (int64_t(ids.size()) > session_->n_ctx())
      throw pb::value_error(std::to_string(ids.size()) + " tokens do not fit the context of " +
                            std::to_string(session_->n_ctx()));
    for (int32_t id : ids) check_id(id);
  }
  ChatTemplate chat_template(const std::string& name) const {
    return name.empty() ? detect_chat_template(m_.tokenizer->chat_template()) : chat_template_from_name(name);
  }

  LoadedModel m_;
  std::unique_ptr<Session> session_;
  std::mutex busy_;  // one computation at a time on the session
  Generation* active_ = nullptr;
};

Generation::Generation(std::shared_ptr<PyModel> model, std::string prompt, GenerateOptions opt)
    : model_(std::move(model)) {
  model_->cancel_active();
  model_->set_active(this);
  stream_ = std::make_unique<TextStream>(
      [this, prompt = std::move(prompt), opt = std::move(opt)](const TextStream::Sink& sink) {
        GenerateResult r = model_->run_generate(prompt, opt, sink);
        std::lock_guard lock(mu_);
        result_ = std::move(r);
      });
}

Generation::~Generation() {
  stream_->stop();
  model_->clear_active(this);
}

GenerateOptions generate_options(int n_predict, float temperature, int top_k, float top_p, float min_p,
                                 float repeat_penalty, int repeat_last_n, uint64_t seed,
                                 std::vector<std::string> stop, bool add_bos) {
  GenerateOptions g;
  g.n_predict = n_predict;
  g.sampling.temperature = temperature;
  g.sampling.top_k = top_k;
  g.sampling.top_p = top_p;
  g.sampling.min_p = min_p;
  g.sampling.repeat_penalty = repeat_penalty;
  g.sampling.repeat_last_n = repeat_last_n;
  g.sampling.seed = seed;
  g.stop = std::move(stop);
  g.add_bos = add_bos;
  return g;
}

}  // namespace

void bind_model(pb::module_& m) {
  pb::class_<Generation>(m, "Generation")
      .def("__iter__", [](Generation& g) -> Generation& { return g; })
      .def("__next__", &Generation::next)
      .def("close", &Generation::stop, "stops the generation (also on garbage collection)")
      .def_property_readonly("result", &Generation::result,
                             "after the last piece: text, n_prompt, n_generated, timings, finish_reason");

  // The defaults of the sampling options are the CLI's (model/sampler.hpp).
  const SamplerParams d;
  pb::class_<PyModel, std::shared_ptr<PyModel>>(m, "Model")
      .def(pb::init<const std::string&, int64_t, bool, float>(), pb::arg("path"), pb::arg("n_ctx") = 0,
           pb::arg("int8") = false, pb::arg("int8_threshold") = 6.0f)
      .def("tokenize", &PyModel::tokenize, pb::arg("text"), pb::arg("add_bos") = false, pb::arg("special") = false)
      .def("detokenize", &PyModel::detokenize, pb::arg("ids"), pb::arg("skip_special") = false)
      .def("logits", &PyModel::logits, pb::arg("ids"))
      .def("perplexity", &PyModel::perplexity, pb::arg("ids"))
      .def("format_chat", &PyModel::format_chat, pb::arg("messages"), pb::arg("template") = "")
      .def("chat_template_is_plain", &PyModel::chat_template_is_plain, pb::arg("template") = "")
      .def(
          "generate",
          [](std::shared_ptr<PyModel> self, const std::string& prompt, int n_predict, float temperature, int top_k,
             float top_p, float min_p, float repeat_penalty, int repeat_last_n, uint64_t seed,
             std::vector<std::string> stop, bool add_bos) {
            return std::make_unique<Generation>(self, prompt,
                                                generate_options(n_predict, temperature, top_k, top_p, min_p,
                                                                 repeat_penalty, repeat_last_n, seed,
                                                                 std::move(stop), add_bos));
          },
          pb::arg("prompt"), pb::arg("n_predict") = 128, pb::arg("temperature") = d.temperature,
          pb::arg("top_k") = d.top_k, pb::arg("top_p") = d.top_p, pb::arg("min_p") = d.min_p,
          pb::arg("repeat_penalty") = d.repeat_penalty, pb::arg("repeat_last_n") = d.repeat_last_n,
          pb::arg("seed") = d.seed, pb::arg("stop") = std::vector<std::string>{}, pb::arg("add_bos") = true)
      .def_property_readonly("metadata", &PyModel::metadata)
      .def_property_readonly("architecture", &PyModel::architecture)
      .def_property_readonly("n_vocab", &PyModel::n_vocab)
      .def_property_readonly("n_ctx", &PyModel::n_ctx);
}

}  // namespace lowbit::py
