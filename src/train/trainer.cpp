#include "train/trainer.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/timer.hpp"
#include "io/data_dir.hpp"
#include "io/file_util.hpp"
#include "tokenizer/bpe_trainer.hpp"
#include "train/adamw.hpp"
#include "train/checkpoint.hpp"
#include "train/loss_plot.hpp"
#include "train/schedule.hpp"
#include "train/text_data.hpp"

namespace lowbit {

namespace fs = std::filesystem;

namespace {

std::string resolve_data_path(const std::string& p) {
  if (fs::exists(p)) return p;
  // "data/x" is written relative to the repository root: also look the file
  // up in the data folders, so the bundled configs work from any directory.
  std::string found = find_data_file(fs::path(p).filename().string());
  LOWBIT_CHECK(!found.empty(), "training data '{}' not found", p);
  return found;
}

Tokenizer build_tokenizer(const TrainConfig& c, const std::string& text) {
  if (c.tokenizer == "byte") return Tokenizer::byte_level();
  BpeTrainOptions o;
  o.vocab_size = c.vocab_size;
  const size_t cut = size_t(double(text.size()) * c.split);  // train the vocabulary on the training part only
  return Tokenizer::from_gguf(train_bpe(std::string_view(text).substr(0, cut), o));
}

double evaluate(TrainableModel& m, const TrainConfig& c, const TextData& d) {
  std::vector<int32_t> in, tgt;
  double sum = 0;
  for (int64_t b = 0; b < c.eval_batches; ++b) {
    fixed_batch(d.val, d.bos, c.batch_size, c.seq_len, b, c.eval_batches, in, tgt);
    sum += m.forward(in.data(), tgt.data(), c.batch_size, c.seq_len);
  }
  return sum / double(c.eval_batches);
}

struct History {
  std::vector<std::pair<double, double>> train, val;
};

// Reads back loss.csv (step,lr,train_loss,val_loss) up to `step` on resume.
History read_history(const std::string& csv, int64_t up_to) {
  History h;
  std::ifstream f(csv);
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::string step, lr, tl, vl;
    std::getline(ss, step, ',');
    std::getline(ss, lr, ',');
    std::getline(ss, tl, ',');
    std::getline(ss, vl, ',');
    if (step.empty() || std::stoll(step) > up_to) continue;
    if (!tl.empty()) h.train.emplace_back(std::stod(step), std::stod(tl));
    if (!vl.empty()) h.val.emplace_back(std::stod(step), std::stod(vl));
  }
  return h;
}

void write_history(const std::string& csv, const History& h, const std::vector<double>& lrs) {
  std::string out = "step,lr,train_loss,val_loss\n";
  size_t vi = 0;
  for (size_t i = 0; i < h.train.size(); ++i) {
    std::string val;
    while (vi < h.val.size() && h.val[vi].first <= h.train[i].first) {
      if (h.val[vi].first == h.train[i].first) val = fmt::format("{:.6f}", h.val[vi].second);
      ++vi;
    }
    out += fmt::format("{},{:.6g},{:.6f},{}\n", int64_t(h.train[i].first), i < lrs.size() ? lrs[i] : 0.0,
                       h.train[i].second, val);
  }
  write_file_atomic(csv, out);
}

// The tokenizer: from the checkpoint when resuming (it must not change),
// else trained on the text.
std::unique_ptr<Tokenizer> load_or_build_tokenizer(const TrainConfig& cfg, const std::string& text,
                                                   const std::string& ckpt, CheckpointMeta& meta, bool progress) {
  if (!ckpt.empty()) {
    meta = read_checkpoint_meta(ckpt);
    return std::make_unique<Tokenizer>(Tokenizer::from_hf_json(meta.tokenizer_json, ckpt));
  }
  Timer t;
  auto tok = std::make_unique<Tokenizer>(build_tokenizer(cfg, text));
  if (progress)
    fmt::print(stderr, "lowbit: tokenizer {} with {} tokens ({:.1f} s)\n", cfg.tokenizer, tok->n_vocab(), t.seconds());
  return tok;
}

// One training run's state: the model, the optimizer, the data stream and
// the loss history that checkpoints save and resume restores.
struct TrainRun {
  TrainConfig c;
  const TrainOptions& opt;
  const Tokenizer& tok;
  const TextData& data;
  CheckpointMeta meta;
  Rng init_rng, data_rng;
  std::unique_ptr<TrainableModel> model;
  AdamWState adam;
  int64_t step = 0;
  History hist;
  std::vector<double> lrs;
  std::string csv;
  std::vector<int32_t> in, tgt;

  TrainRun(const TrainConfig& cfg, const TrainOptions& o, const Tokenizer& t, const TextData& d, CheckpointMeta m)
      : c(with_vocab(cfg, t.n_vocab())), opt(o), tok(t), data(d), meta(std::move(m)), init_rng(c.seed),
        data_rng(c.seed + 1), model(make_trainable_model(c, init_rng)),
        csv((fs::path(c.out_dir) / "loss.csv").string()) {}

  static TrainConfig with_vocab(TrainConfig c, int64_t n_vocab) {
    c.arch.n_vocab = n_vocab;
    return c;
  }

  void resume_from(const std::string& ckpt) {
    load_checkpoint(ckpt, *model, adam);
    step = meta.step;
    data_rng = meta.data_rng;
    hist = read_history(csv, step - 1);
    for (const auto& p : hist.train) lrs.push_back(schedule_lr(c, int64_t(p.first)));
    if (opt.progress) fmt::print(stderr, "lowbit: resuming {} at step {}\n", ckpt, step);
  }

  void save() {
    meta.step = step;
    meta.data_rng = data_rng;
    meta.config_json = c.json_text;
    meta.tokenizer_json = tok.to_hf_json();
    save_checkpoint(checkpoint_path(c.out_dir, step), *model, adam, meta);
    prune_checkpoints(c.out_dir, 2);
    write_history(csv, hist, lrs);
    write_file_atomic((fs::path(c.out_dir) / "loss.svg").string(),
                      loss_svg({{"train", "#1f77b4", hist.train}, {"validation", "#d62728", hist.val}},
                               fmt::format("{} (step {})", c.out_dir, step)));
  }

  // One optimizer step on a sampled batch; returns its loss and learning rate.
  std::pair<float, float> train_step(std::vector<Param>& params) {
    if (const int bits = schedule_act_bits(c, step); bits && schedule_act_bits(c, step - 1) != bits) {
      model->set_act_bits(bits);
      params = model->params();
    }
    model->set_blend(schedule_blend(c, step));
    sample_batch(data.train, data.bos, c.batch_size, c.seq_len, data_rng, in, tgt);
    model->zero_grads();
    const float loss = model->forward(in.data(), tgt.data(), c.batch_size, c.seq_len);
    model->backward();
    LOWBIT_CHECK(std::isfinite(loss), "training diverged at step {} (loss {}); lower optim.lr", step, loss);
    const float lr = schedule_lr(c, step);
    adamw_step(params, adam, lr, schedule_weight_decay(c, step), c.beta1, c.beta2, c.adam_eps, c.grad_clip);
    model->requantize();
    hist.train.emplace_back(double(step), loss);
    lrs.push_back(lr);
    ++step;
    return {loss, lr};
  }

  void print_progress(int64_t first, int64_t last, double seconds, float loss, float lr) const {
    const double tps = double((step - first) * c.batch_size * c.seq_len) / seconds;
    const double eta = seconds / double(step - first) * double(last - step);
    fmt::print(stderr, "{}step {:>6}/{} loss {:.4f}{} lr {:.2e} {:.0f} tok/s ETA {:.0f}:{:02.0f}{}",
               opt.progress_in_place ? "\r" : "", step, last, loss,
               hist.val.empty() ? "" : fmt::format(" val {:.4f}", hist.val.back().second), lr, tps,
               std::floor(eta / 60), std::fmod(eta, 60.0), opt.progress_in_place ? "   " : "\n");
  }

  // Steps until `last` (or a stop request), evaluating and checkpointing on schedule.
  void run_steps(int64_t last, TrainSummary& sum, Timer& timer) {
    const int64_t first = step;
    std::vector<Param> params = model->params();
    while (step < last) {
      if (opt.stop && opt.stop->load()) {
        sum.interrupted = true;
        break;
      }
      const auto [loss, lr] = train_step(params);
      sum.train_loss = loss;
      if (step % c.eval_every == 0 || step == last) hist.val.emplace_back(double(step - 1), evaluate(*model, c, data));
      if (opt.progress && (opt.progress_in_place || step % c.eval_every == 0 || step == last))
        print_progress(first, last, timer.seconds(), loss, lr);
      if (step % c.checkpoint_every == 0 && step < last) save();
    }
    if (opt.progress && opt.progress_in_place) fmt::print(stderr, "\n");
    sum.step = step;
    sum.seconds = timer.seconds();
    sum.tokens_per_second = double((step - first) * c.batch_size * c.seq_len) / std::max(sum.seconds, 1e-9);
  }
};

}  // namespace

TrainSummary train(const TrainConfig& cfg, const TrainOptions& opt) {
  fs::create_directories(cfg.out_dir);
  const std::string text = read_file(resolve_data_path(cfg.data_path));
  const std::string ckpt = opt.resume ? latest_checkpoint(cfg.out_dir) : std::string();
  CheckpointMeta meta;
  const std::unique_ptr<Tokenizer> tok = load_or_build_tokenizer(cfg, text, ckpt, meta, opt.progress);
  const TextData data = split_text(text, *tok, cfg.split);

  TrainRun run(cfg, opt, *tok, data, meta);
  const TrainConfig& c = run.c;
  if (!ckpt.empty()) run.resume_from(ckpt);
  if (const int bits = schedule_act_bits(c, run.step - 1)) run.model->set_act_bits(bits);

  const int64_t last = opt.max_steps >= 0 ? std::min(opt.max_steps, c.steps) : c.steps;
  TrainSummary sum;
  sum.n_params = run.model->n_params();
  if (run.step >= last) {  // a finished run resumed: nothing to do (not a 0-step "result")
    sum.step = run.step;
    sum.already_done = true;
    return sum;
  }
  if (opt.progress)
    fmt::print(stderr, "lowbit: {} parameters, {} train / {} validation tokens, {} steps of {}x{} tokens\n",
               sum.n_params, data.train.size(), data.val.size(), c.steps, c.batch_size, c.seq_len);
  Timer timer;
  run.run_steps(last, sum, timer);
  sum.val_loss = evaluate(*run.model, c, data);
  const double tokens_per_byte = double(data.val.size()) / double(std::max<int64_t>(1, data.val_bytes));
  sum.val_bits_per_byte = sum.val_loss * tokens_per_byte / std::log(2.0);
  run.save();
  if (!sum.interrupted && run.step >= c.steps && !c.export_path.empty()) {
    run.model->export_gguf(*tok, c.export_type, c.export_path);
    if (opt.progress) fmt::print(stderr, "lowbit: exported {}\n", c.export_path);
  }
  return sum;
}

}  // namespace lowbit
