// `lowbit train CONFIG`: quantization-aware training from scratch, or
// resumed from the newest checkpoint of the run (after a crash or Ctrl-C,
// which checkpoints before exiting with status 130).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/console.hpp"
#include "train/trainer.hpp"

namespace lowbit::cli {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

struct TrainArgs {
  std::string config;
  int threads = 0;
  bool restart = false;
  int64_t max_steps = -1;
  std::string out_dir;
};

// --out-dir moves the whole run, the exported GGUF too (into the new
// directory, under the config's file name), so that two runs of one config
// never write the same file.
void apply_out_dir(TrainConfig& cfg, const std::string& out_dir) {
  if (out_dir.empty()) return;
  cfg.out_dir = out_dir;
  if (!cfg.export_path.empty()) cfg.export_path = (fs::path(out_dir) / fs::path(cfg.export_path).filename()).string();
}

TrainSummary train_cleaning_up(const TrainConfig& cfg, const TrainOptions& opt) {
  const bool existed = fs::exists(cfg.out_dir);
  try {
    return train(cfg, opt);
  } catch (...) {
    // The trainer's progress line may be open on the terminal: the error
    // line goes below it.
    if (opt.progress && opt.progress_in_place) std::fputc('\n', stderr);
    // A run that failed before writing anything leaves no empty directory.
    std::error_code ec;
    if (!existed && fs::is_directory(cfg.out_dir, ec) && fs::is_empty(cfg.out_dir, ec)) fs::remove(cfg.out_dir, ec);
    throw;
  }
}

void run(const TrainArgs& a) {
  apply_threads(a.threads);
  TrainConfig cfg = load_train_config(a.config);
  apply_out_dir(cfg, a.out_dir);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  TrainOptions opt;
  opt.resume = !a.restart;
  opt.max_steps = a.max_steps;
  opt.stop = &g_stop;
  opt.progress = log_level() != LogLevel::Quiet;
  opt.progress_in_place = stderr_is_terminal();
  const TrainSummary s = train_cleaning_up(cfg, opt);
  if (s.already_done) {
    fmt::print("{} is finished: step {} of {}; nothing to train (--restart starts it again, --out-dir elsewhere)\n",
               cfg.out_dir, s.step, a.max_steps >= 0 ? std::min(a.max_steps, cfg.steps) : cfg.steps);
    return;
  }
  fmt::print(
      "steps {}  params {}  train_loss {:.4f}  val_loss {:.4f}  val_ppl {:.3f}  val_bpb {:.4f}  "
      "{:.0f} tok/s  {:.1f} s{}\n",
      s.step, s.n_params, s.train_loss, s.val_loss, std::exp(s.val_loss), s.val_bits_per_byte, s.tokens_per_second,
      s.seconds, s.interrupted ? "  (interrupted; run again to resume)" : "");
  if (s.interrupted) throw ExitStatus{130};  // saved; 128 + SIGINT, as a shell reports it
}

const CommandRegistrar reg(
    80, "train", "quantization-aware training (resumes from the latest checkpoint)", [](CLI::App& sub) {
      auto a = std::make_shared<TrainArgs>();
      sub.add_option("config", a->config, "training config (JSON), see docs/TRAINING.md")->required();
      add_threads_option(sub, a->threads);
      sub.add_flag("--restart", a->restart, "ignore existing checkpoints and start from scratch");
      sub.add_option("--max-steps", a->max_steps, "stop after this many steps (the schedule stays the config's)")
          ->check(in_range(0, double(int64_t(1) << 40)))
          ->default_str("the config's");
      sub.add_option("--out-dir", a->out_dir, "override the config's out_dir; the exported GGUF goes there too")
          ->default_str("the config's");
      sub.callback([a] { run(*a); });
    });

}  // namespace
}  // namespace lowbit::cli
