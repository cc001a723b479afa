#include "train/checkpoint.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "io/safetensors_file.hpp"

namespace lowbit {

namespace fs = std::filesystem;

namespace {

// Step of "checkpoint-<step>.safetensors", or -1.
int64_t step_of(const fs::path& p) {
  const std::string n = p.filename().string();
  const std::string pre = "checkpoint-", suf = ".safetensors";
  if (n.size() <= pre.size() + suf.size() || n.rfind(pre, 0) != 0 || n.substr(n.size() - suf.size()) != suf) return -1;
  const std::string digits = n.substr(pre.size(), n.size() - pre.size() - suf.size());
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(digits);
}

std::vector<std::pair<int64_t, fs::path>> list_checkpoints(const std::string& dir) {
  std::vector<std::pair<int64_t, fs::path>> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (const int64_t s = step_of(e.path()); s >= 0) out.emplace_back(s, e.path());
  std::sort(out.begin(), out.end());
  return out;
}

const std::string* find_meta(const SafetensorsFile& f, const std::string& key) {
  for (const auto& [k, v] : f.metadata())
    if (k == key) return &v;
  return nullptr;
}

void copy_tensor(const SafetensorsFile& f, const std::string& name, Tensor& dst) {
  const SafetensorsTensor& t = f.tensor(name);
  LOWBIT_CHECK(t.dtype && t.dtype->name == "F32", "{}: tensor '{}' is not F32", f.path(), name);
  LOWBIT_CHECK(t.numel() == dst.numel(), "{}: tensor '{}' has {} elements, the model expects {} (shape {})", f.path(),
               name, t.numel(), dst.numel(), dst.shape().str());
  std::memcpy(dst.data<float>(), f.data(t).data(), size_t(dst.nbytes()));
}

}  // namespace

std::string checkpoint_path(const std::string& out_dir, int64_t step) {
  return (fs::path(out_dir) / fmt::format("checkpoint-{:08d}.safetensors", step)).string();
}

std::string latest_checkpoint(const std::string& out_dir) {
  auto all = list_checkpoints(out_dir);
  return all.empty() ? std::string() : all.back().second.string();
}

void save_checkpoint(const std::string& path, TrainableModel& model, const AdamWState& adam,
                     const CheckpointMeta& meta) {
  SafetensorsWriter w;
  std::vector<Param> params = model.params();
  for (size_t i = 0; i < params.size(); ++i) {
    w.add(params[i].name, params[i].value->view());
    if (i < adam.m.size()) {
      w.add("adam.m." + params[i].name, adam.m[i].view());
      w.add("adam.v." + params[i].name, adam.v[i].view());
    }
  }
  w.set_metadata("lowbit.step", std::to_string(meta.step));
  w.set_metadata("lowbit.adam_t", std::to_string(adam.t));
  const uint64_t* s = meta.data_rng.state();
  w.set_metadata("lowbit.data_rng", fmt::format("{} {} {} {}", s[0], s[1], s[2], s[3]));
  w.set_metadata("lowbit.config", meta.config_json);
  w.set_metadata("lowbit.tokenizer", meta.tokenizer_json);
  fs::create_directories(fs::path(path).parent_path());
  w.write(path);
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  SafetensorsFile f = SafetensorsFile::open(path);
  CheckpointMeta m;
  auto need = [&](const char* k) -> const std::string& {
    const std::string* v = find_meta(f, k);
    LOWBIT_CHECK(v, "{}: not a lowbit checkpoint (no '{}' in the metadata)", path, k);
    return *v;
  };
  try {
    m.step = std::stoll(need("lowbit.step"));
    uint64_t st[4];
    LOWBIT_CHECK(std::sscanf(need("lowbit.data_rng").c_str(), "%lu %lu %lu %lu", &st[0], &st[1], &st[2], &st[3]) == 4,
                 "{}: bad lowbit.data_rng", path);
    m.data_rng.set_state(st);
  } catch (const std::logic_error&) {
    fail("{}: bad step in the metadata", path);
  }
  m.config_json = need("lowbit.config");
  m.tokenizer_json = need("lowbit.tokenizer");
  return m;
}

void load_checkpoint(const std::string& path, TrainableModel& model, AdamWState& adam) {
  SafetensorsFile f = SafetensorsFile::open(path);
  std::vector<Param> params = model.params();
  adam.m.clear();
  adam.v.clear();
  for (Param& p : params) {
    copy_tensor(f, p.name, *p.value);
    adam.m.push_back(Tensor::f32(p.value->shape()));
    adam.v.push_back(Tensor::f32(p.value->shape()));
    copy_tensor(f, "adam.m." + p.name, adam.m.back());
    copy_tensor(f, "adam.v." + p.name, adam.v.back());
  }
  const std::string* t = find_meta(f, "lowbit.adam_t");
  LOWBIT_CHECK(t, "{}: no lowbit.adam_t", path);
  adam.t = std::stoll(*t);
  model.requantize();
}

void prune_checkpoints(const std::string& out_dir, int keep) {
  auto all = list_checkpoints(out_dir);
  for (size_t i = 0; i + size_t(keep) < all.size(); ++i) fs::remove(all[i].second);
}

}  // namespace lowbit
