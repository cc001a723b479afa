// `lowbit train CONFIG`: quantization-aware training from scratch, or
// resumed from the newest checkpoint of the run (after a crash or Ctrl-C,
// which checkpoints before exiting).
#include <atomic>
#include <csignal>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "train/trainer.hpp"

namespace lowbit::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

struct TrainArgs {
  std::string config;
  int threads = 0;
  bool restart = false;
  int64_t max_steps = -1;
  std::string out_dir;
};

void run(const TrainArgs& a) {
  apply_threads(a.threads);
  TrainConfig cfg = load_train_config(a.config);
  if (!a.out_dir.empty()) cfg.out_dir = a.out_dir;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  TrainOptions opt;
  opt.resume = !a.restart;
  opt.max_steps = a.max_steps;
  opt.stop = &g_stop;
  const TrainSummary s = train(cfg, opt);
  fmt::print("steps {}  params {}  train_loss {:.4f}  val_loss {:.4f}  val_ppl {:.3f}  val_bpb {:.4f}  "
             "{:.0f} tok/s  {:.1f} s{}\n",
             s.step, s.n_params, s.train_loss, s.val_loss, std::exp(s.val_loss), s.val_bits_per_byte,
             s.tokens_per_second, s.seconds, s.interrupted ? "  (interrupted; run again to resume)" : "");
}

const CommandRegistrar reg(80, "train", "quantization-aware training (resumes from the latest checkpoint)",
                           [](CLI::App& sub) {
  auto a = std::make_shared<TrainArgs>();
  sub.add_option("config", a->config, "training config (JSON), see docs/TRAINING.md")->required();
  add_threads_option(sub, a->threads);
  sub.add_flag("--restart", a->restart, "ignore existing checkpoints and start from scratch");
  sub.add_option("--max-steps", a->max_steps, "stop after this many steps (the schedule stays the config's)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 40));
  sub.add_option("--out-dir", a->out_dir, "override the config's out_dir");
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli
