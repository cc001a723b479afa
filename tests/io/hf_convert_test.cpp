// HF -> GGUF conversion of a tiny hand-made packed checkpoint: every tensor
// arrives under its llama.cpp name with the values computed by hand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "core/half.hpp"
#include "io/file_util.hpp"
#include "io/gguf_file.hpp"
#include "io/hf_convert.hpp"

using namespace lowbit;
using ::testing::HasSubstr;

namespace {

struct TinyHf {
  std::string dir;
  std::vector<std::vector<uint8_t>> packed;
  std::vector<std::vector<uint16_t>> halves;
  std::vector<int8_t> q;  // the q_proj ternary values [8, 8]

  TinyHf() {
    // One directory per test and process: CTest runs tests in parallel.
    dir = ::testing::TempDir() + "/lowbit_hf_tiny_" + std::to_string(::getpid()) + "_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir);
    write_file_atomic(dir + "/config.json", R"({"model_type": "bitnet", "hidden_size": 8, "num_hidden_layers": 1,
      "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 16, "vocab_size": 4,
      "max_position_embeddings": 32, "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "hidden_act": "relu2",
      "tie_word_embeddings": true})");
    SafetensorsWriter w;
    auto ternary = [](int64_t rows, int64_t cols, int salt) {
      std::vector<int8_t> v(size_t(rows * cols));
      for (size_t i = 0; i < v.size(); ++i) v[i] = int8_t(int((i * 7 + size_t(salt)) % 3) - 1);
      return v;
    };
    auto add_proj = [&](const std::string& name, int64_t rows, int64_t cols, float scale, int salt) {
      const auto v = ternary(rows, cols, salt);
      if (name.find("q_proj") != std::string::npos) q = v;
      packed.push_back(hf_pack_ternary(v, rows, cols));
      w.add(name + ".weight", "U8", {rows / 4, cols}, std::as_bytes(std::span(packed.back())));
      halves.push_back({f32_to_bf16(scale)});
      w.add(name + ".weight_scale", "BF16", {1}, std::as_bytes(std::span(halves.back())));
    };
    auto add_bf16 = [&](const std::string& name, std::vector<int64_t> shape, float base) {
      int64_t n = 1;
      for (int64_t s : shape) n *= s;
      std::vector<uint16_t> v;
      for (int64_t i = 0; i < n; ++i) v.push_back(f32_to_bf16(base + float(i)));
      halves.push_back(v);
      w.add(name, "BF16", shape, std::as_bytes(std::span(halves.back())));
    };
    packed.reserve(16);
    halves.reserve(32);
    add_bf16("model.embed_tokens.weight", {4, 8}, -8.0f);
    const std::string l = "model.layers.0.";
    add_bf16(l + "input_layernorm.weight", {8}, 1.0f);
    add_proj(l + "self_attn.q_proj", 8, 8, 4.0f, 0);
    add_proj(l + "self_attn.k_proj", 4, 8, 2.0f, 1);
    add_proj(l + "self_attn.v_proj", 4, 8, 2.0f, 2);
    add_proj(l + "self_attn.o_proj", 8, 8, 0.5f, 0);
    add_bf16(l + "self_attn.attn_sub_norm.weight", {8}, 2.0f);
    add_bf16(l + "post_attention_layernorm.weight", {8}, 3.0f);
    add_proj(l + "mlp.gate_proj", 16, 8, 1.0f, 1);
    add_proj(l + "mlp.up_proj", 16, 8, 1.0f, 2);
    add_proj(l + "mlp.down_proj", 8, 16, 8.0f, 0);
    add_bf16(l + "mlp.ffn_sub_norm.weight", {16}, 4.0f);
    add_bf16("model.norm.weight", {8}, 5.0f);
    w.write(dir + "/model.safetensors");
  }
  ~TinyHf() { std::filesystem::remove_all(dir); }
};

template <typename T>
std::vector<T> values_of(std::span<const std::byte> d) {
  std::vector<T> v(d.size() / sizeof(T));
  std::memcpy(v.data(), d.data(), v.size() * sizeof(T));
  return v;
}

}  // namespace

TEST(HfConvert, WritesLlamaCppNamesTypesAndValues) {
  TinyHf hf;
  const std::string out = hf.dir + "/out.gguf";
  hf_convert_bitnet(hf.dir, out);
  const GgufFile g = GgufFile::open(out);
  EXPECT_EQ(g.architecture(), "bitnet-b1.58");
  EXPECT_TRUE(g.bitnet_fork());
  EXPECT_EQ(g.metadata().get_u32("bitnet-b1.58.attention.head_count_kv"), 1u);
  EXPECT_EQ(g.metadata().get_u32("bitnet-b1.58.rope.dimension_count"), 4u);
  ASSERT_EQ(g.tensors().size(), 13u);

  const GgufTensorInfo& q = g.tensor("blk.0.attn_q.weight");
  EXPECT_EQ(q.type_name(), "f16");
  EXPECT_EQ(q.shape(), (Shape{8, 8}));
  const auto qv = values_of<uint16_t>(g.data(q));
  for (size_t i = 0; i < qv.size(); ++i) ASSERT_EQ(fp16_to_f32(qv[i]), float(hf.q[i]) * 0.25f) << i;  // 1 / 4.0

  const GgufTensorInfo& down = g.tensor("blk.0.ffn_down.weight");
  EXPECT_EQ(down.shape(), (Shape{8, 16}));
  EXPECT_EQ(g.tensor("blk.0.attn_k.weight").shape(), (Shape{4, 8}));

  const GgufTensorInfo& norm = g.tensor("blk.0.ffn_sub_norm.weight");
  EXPECT_EQ(norm.type_name(), "f32");
  EXPECT_EQ(values_of<float>(g.data(norm))[15], 19.0f);  // 4 + 15
  const GgufTensorInfo& emb = g.tensor("token_embd.weight");
  EXPECT_EQ(emb.type_name(), "f16");
  EXPECT_EQ(emb.shape(), (Shape{4, 8}));
  EXPECT_EQ(fp16_to_f32(values_of<uint16_t>(g.data(emb))[3]), -5.0f);  // -8 + 3
  for (const char* n : {"output_norm.weight", "blk.0.attn_norm.weight", "blk.0.ffn_norm.weight",
                        "blk.0.attn_sub_norm.weight", "blk.0.attn_v.weight", "blk.0.attn_output.weight",
                        "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight"})
    EXPECT_NE(g.find_tensor(n), nullptr) << n;
  EXPECT_EQ(g.find_tensor("blk.0.attn_q.scale"), nullptr);  // folded into the weight
}

TEST(HfConvert, HandsTernaryWeightsToThePacker) {
  TinyHf hf;
  HfConvertOptions opt;
  opt.ternary_format = &format_traits(Format::F32);
  int calls = 0;
  opt.pack_ternary = [&](const HfTernaryWeight& w, std::span<std::byte> out) {
    ++calls;
    ASSERT_EQ(out.size(), size_t(w.rows * w.cols) * 4);
    std::vector<float> v(size_t(w.rows * w.cols));
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(w.values[i]) + w.scale * 100;
    std::memcpy(out.data(), v.data(), out.size());
  };
  const std::string out = hf.dir + "/packed.gguf";
  hf_convert_bitnet(hf.dir, out, opt);
  EXPECT_EQ(calls, 7);
  const GgufFile g = GgufFile::open(out);
  const auto down = values_of<float>(g.data(g.tensor("blk.0.ffn_down.weight")));
  EXPECT_FLOAT_EQ(down[0], -1.0f + 12.5f);  // first value of salt 0 is -1; scale 1/8

  HfConvertOptions no_packer;
  no_packer.ternary_format = &format_traits(Format::TQ2_0);
  EXPECT_THAT([&] { hf_convert_bitnet(hf.dir, out, no_packer); },
              ::testing::ThrowsMessage<Error>(HasSubstr("needs a ternary packer")));
}
