// HF -> GGUF conversion of a tiny hand-made packed 2B4T-layout checkpoint:
// every tensor arrives under its llama.cpp name with the values computed by
// hand, under the architecture each peer runs for the chosen type.
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
#include "io/hf_bitnet.hpp"
#include "io/safetensors_file.hpp"
#include "model/hf_convert.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace lowbit;
using ::testing::HasSubstr;

namespace {

struct TinyHf {
  std::string dir;
  std::vector<std::vector<uint8_t>> packed;
  std::vector<std::vector<uint16_t>> halves;
  std::vector<int8_t> q;  // the q_proj ternary values [256, 256]

  TinyHf() {
    // One directory per test and process: CTest runs tests in parallel.
    dir = ::testing::TempDir() + "/lowbit_hf_tiny_" + std::to_string(::getpid()) + "_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir);
    write_file_atomic(dir + "/config.json", R"({"architectures": ["BitNetForCausalLM"], "model_type": "bitnet", "hidden_size": 256, "num_hidden_layers": 1,
      "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 512, "vocab_size": 300,
      "max_position_embeddings": 32, "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "hidden_act": "relu2",
      "tie_word_embeddings": true})");
    write_file_atomic(dir + "/tokenizer.json", Tokenizer::byte_level().to_hf_json());
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
      for (int64_t i = 0; i < n; ++i) v.push_back(f32_to_bf16(base + float(i % 64)));
      halves.push_back(v);
      w.add(name, "BF16", shape, std::as_bytes(std::span(halves.back())));
    };
    packed.reserve(16);
    halves.reserve(32);
    add_bf16("model.embed_tokens.weight", {300, 256}, -8.0f);
    const std::string l = "model.layers.0.";
    add_bf16(l + "input_layernorm.weight", {256}, 1.0f);
    add_proj(l + "self_attn.q_proj", 256, 256, 4.0f, 0);
    add_proj(l + "self_attn.k_proj", 128, 256, 2.0f, 1);
    add_proj(l + "self_attn.v_proj", 128, 256, 2.0f, 2);
    add_proj(l + "self_attn.o_proj", 256, 256, 0.5f, 0);
    add_bf16(l + "self_attn.attn_sub_norm.weight", {256}, 2.0f);
    add_bf16(l + "post_attention_layernorm.weight", {256}, 3.0f);
    add_proj(l + "mlp.gate_proj", 512, 256, 1.0f, 1);
    add_proj(l + "mlp.up_proj", 512, 256, 1.0f, 2);
    add_proj(l + "mlp.down_proj", 256, 512, 8.0f, 0);
    add_bf16(l + "mlp.ffn_sub_norm.weight", {512}, 4.0f);
    add_bf16("model.norm.weight", {256}, 5.0f);
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
  ConvertOptions opt;
  opt.type = &format_traits(Format::F16);
  const ConvertResult r = convert_hf(hf.dir, out, opt);
  EXPECT_EQ(r.source->name, "bitnet-b1.58");
  // An f16 file is for llama.cpp: its `bitnet` arch, told that the gate is relu^2.
  const GgufFile g = GgufFile::open(out);
  EXPECT_EQ(g.architecture(), "bitnet");
  EXPECT_EQ(g.metadata().get_string("bitnet.hidden_activation"), "relu2");
  EXPECT_EQ(g.metadata().get_u32("bitnet.attention.head_count_kv"), 1u);
  EXPECT_EQ(g.metadata().get_u32("bitnet.rope.dimension_count"), 128u);
  ASSERT_EQ(g.tensors().size(), 13u);

  const GgufTensorInfo& q = g.tensor("blk.0.attn_q.weight");
  EXPECT_EQ(q.type_name(), "f16");
  EXPECT_EQ(q.shape(), (Shape{256, 256}));
  const auto qv = values_of<uint16_t>(g.data(q));
  for (size_t i = 0; i < qv.size(); ++i) ASSERT_EQ(fp16_to_f32(qv[i]), float(hf.q[i]) * 0.25f) << i;  // 1 / 4.0

  const GgufTensorInfo& down = g.tensor("blk.0.ffn_down.weight");
  EXPECT_EQ(down.shape(), (Shape{256, 512}));
  EXPECT_EQ(g.tensor("blk.0.attn_k.weight").shape(), (Shape{128, 256}));

  const GgufTensorInfo& norm = g.tensor("blk.0.ffn_sub_norm.weight");
  EXPECT_EQ(norm.type_name(), "f32");
  EXPECT_EQ(values_of<float>(g.data(norm))[15], 19.0f);  // 4 + 15
  const GgufTensorInfo& emb = g.tensor("token_embd.weight");
  EXPECT_EQ(emb.type_name(), "f16");
  EXPECT_EQ(emb.shape(), (Shape{300, 256}));
  EXPECT_EQ(fp16_to_f32(values_of<uint16_t>(g.data(emb))[3]), -5.0f);  // -8 + 3
  for (const char* n : {"output_norm.weight", "blk.0.attn_norm.weight", "blk.0.ffn_norm.weight",
                        "blk.0.attn_sub_norm.weight", "blk.0.attn_v.weight", "blk.0.attn_output.weight",
                        "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight"})
    EXPECT_NE(g.find_tensor(n), nullptr) << n;
  EXPECT_EQ(g.find_tensor("blk.0.attn_q.scale"), nullptr);  // folded into the weight
}

TEST(HfConvert, TernaryTypesGoToThePeerThatRunsThem) {
  TinyHf hf;
  // I2_S (the default for a ternary checkpoint): bitnet.cpp's 2B4T arch.
  const std::string i2s = hf.dir + "/i2s.gguf";
  EXPECT_EQ(convert_hf(hf.dir, i2s).arch, "bitnet-b1.58");
  const GgufFile a = GgufFile::open(i2s);
  EXPECT_EQ(a.architecture(), "bitnet-b1.58");
  EXPECT_EQ(a.tensor("blk.0.attn_q.weight").type_name(), "i2_s");
  EXPECT_FALSE(a.metadata().contains("bitnet-b1.58.hidden_activation"));  // relu^2 is that arch's own
  // TQ2_0: llama.cpp's bitnet; the values decode to ternary x 1/weight_scale.
  ConvertOptions opt;
  opt.type = &format_traits(Format::TQ2_0);
  const std::string tq = hf.dir + "/tq2.gguf";
  convert_hf(hf.dir, tq, opt);
  const GgufFile b = GgufFile::open(tq);
  EXPECT_EQ(b.architecture(), "bitnet");
  const GgufTensorInfo& down = b.tensor("blk.0.ffn_down.weight");
  EXPECT_EQ(down.type_name(), "tq2_0");
  std::vector<float> v(size_t(down.numel()));
  down.format->to_float(b.data(down).data(), v.data(), down.numel());
  EXPECT_FLOAT_EQ(v[0], -0.125f);  // salt 0 starts with -1; 1 / 8.0
}

TEST(HfConvert, RefusesACheckpointThatDisagreesWithItsConfig) {
  TinyHf hf;
  auto err = [&](const std::string& config) {
    write_file_atomic(hf.dir + "/config.json", config);
    try {
      convert_hf(hf.dir, hf.dir + "/bad.gguf");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const std::string good = read_file(hf.dir + "/config.json");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string c = good;
    c.replace(c.find(from), from.size(), to);
    return c;
  };
  EXPECT_THAT(err(with("\"num_hidden_layers\": 1", "\"num_hidden_layers\": 2")),
              HasSubstr("tensor 'model.layers.1.input_layernorm.weight' is missing"));
  EXPECT_THAT(err(with("\"intermediate_size\": 512", "\"intermediate_size\": 1024")),
              HasSubstr("has shape [512], config.json implies [1024]"));
  EXPECT_THAT(err(with("BitNetForCausalLM", "GPT2LMHeadModel")), HasSubstr("'GPT2LMHeadModel' is not one lowbit converts"));
  EXPECT_THAT(err(with("\"relu2\"", "\"gelu\"")), HasSubstr("hidden_act 'gelu' is not supported"));
  EXPECT_THAT(err(with("\"vocab_size\": 300", "\"vocab_size\": 3000")), HasSubstr("[3000, 256]"));
  EXPECT_THAT(err(with("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false")),
              HasSubstr("tensor 'lm_head.weight' is missing"));
  EXPECT_FALSE(std::filesystem::exists(hf.dir + "/bad.gguf"));
  EXPECT_THAT([&] { convert_hf(hf.dir + "/nonexistent", hf.dir + "/bad.gguf"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("not a directory")));
}
