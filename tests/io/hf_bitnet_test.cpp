// The Hugging Face BitNet layout: unpacking checked against the worked
// example in transformers' unpack_weights docstring, config against the 2B4T
// config.json. (Tensor names are the families': tests/model.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/half.hpp"
#include "core/rng.hpp"
#include "io/hf_bitnet.hpp"
#include "io/hf_config.hpp"

using namespace lowbit;
using ::testing::HasSubstr;

TEST(HfBitnet, UnpacksTheTransformersDocstringExample) {
  // transformers integrations/bitnet.py unpack_weights: packed [[0b10100001, 0b00011000],
  // [0b10010000, 0b00001010]] unpacks to these 8 x 2 values.
  const std::vector<uint8_t> packed{0b10100001, 0b00011000, 0b10010000, 0b00001010};
  const std::vector<int8_t> want{0, -1, -1, 1, -1, 1, -1, 1, 1, 0, 0, -1, 1, -1, 1, -1};
  EXPECT_EQ(hf_unpack_ternary(packed, 2, 2), want);
  EXPECT_EQ(hf_pack_ternary(want, 8, 2), packed);
}

TEST(HfBitnet, PackUnpackRoundTripAndErrors) {
  Rng rng(7);
  std::vector<int8_t> w(12 * 5);
  for (auto& v : w) v = int8_t(int(rng.next_u64() % 3) - 1);
  const auto p = hf_pack_ternary(w, 12, 5);
  ASSERT_EQ(p.size(), 15u);
  EXPECT_EQ(hf_unpack_ternary(p, 3, 5), w);
  // Output row 7 of 12 (R = 3) lives in bits 5:4 of packed row 1.
  EXPECT_EQ(((p[1 * 5 + 2] >> 4) & 3) - 1, w[7 * 5 + 2]);
  EXPECT_THAT([] { hf_unpack_ternary(std::vector<uint8_t>{0xff}, 1, 1, "q_proj"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("q_proj: byte [0, 0] holds the invalid 2-bit code 3")));
  EXPECT_THROW(hf_unpack_ternary(std::vector<uint8_t>{0, 0, 0}, 2, 2), Error);
  EXPECT_THROW(hf_pack_ternary(std::vector<int8_t>{2, 0, 0, 0}, 4, 1), Error);
}

namespace {
// config.json of microsoft/bitnet-b1.58-2B-4T (the fields lowbit reads).
const char* k2B4T = R"({
  "architectures": ["BitNetForCausalLM"], "model_type": "bitnet",
  "hidden_size": 2560, "intermediate_size": 6912, "num_hidden_layers": 30,
  "num_attention_heads": 20, "num_key_value_heads": 5, "vocab_size": 128256,
  "max_position_embeddings": 4096, "rope_theta": 500000.0, "rms_norm_eps": 1e-05,
  "hidden_act": "relu2", "tie_word_embeddings": true, "bos_token_id": 128000, "eos_token_id": 128001,
  "quantization_config": {"quant_method": "bitnet"}})";
}  // namespace

TEST(HfBitnet, ReadsThe2B4TConfig) {
  const HfConfig c = parse_hf_config(k2B4T, "config.json");
  EXPECT_EQ(c.hidden_size, 2560);
  EXPECT_EQ(c.intermediate_size, 6912);
  EXPECT_EQ(c.num_hidden_layers, 30);
  EXPECT_EQ(c.num_attention_heads, 20);
  EXPECT_EQ(c.num_key_value_heads, 5);
  EXPECT_EQ(c.head_dim(), 128);
  EXPECT_EQ(c.vocab_size, 128256);
  EXPECT_EQ(c.max_position_embeddings, 4096);
  EXPECT_EQ(c.rope_theta, 500000.0f);
  EXPECT_EQ(c.rms_norm_eps, 1e-5f);
  EXPECT_EQ(c.tie_word_embeddings, true);
  EXPECT_EQ(c.bos_token_id, 128000);
  EXPECT_EQ(c.linear_class, "bitlinear");
  EXPECT_FLOAT_EQ(hf_weight_multiplier(2.0f, c), 0.5f);

  EXPECT_EQ(c.architecture, "BitNetForCausalLM");
  EXPECT_EQ(c.quant_method, "bitnet");
  EXPECT_EQ(c.hidden_act, "relu2");
}

TEST(HfBitnet, ConfigErrorsNameTheFieldAndScaleFollowsTheLinearClass) {
  auto err = [](const std::string& text) {
    try {
      parse_hf_config(text, "c.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_THAT(err("{"), HasSubstr("c.json: not valid JSON"));
  EXPECT_THAT(err(R"({"hidden_size": 8})"), HasSubstr("'num_hidden_layers' is missing"));
  EXPECT_THAT(err(R"({"hidden_size": -8})"), HasSubstr("'hidden_size' is -8, expected a positive integer"));
  std::string huge = k2B4T;
  huge.replace(huge.find("\"num_hidden_layers\": 30"), 23, "\"num_hidden_layers\": 100000");
  EXPECT_THAT(err(huge), HasSubstr("'num_hidden_layers' is 100000, more than 4096"));
  std::string yarn = k2B4T;
  yarn.replace(yarn.find("\"quantization_config\""), 0, "\"rope_scaling\": {\"rope_type\": \"yarn\"}, ");
  EXPECT_THAT(err(yarn), HasSubstr("rope_scaling type 'yarn' is not supported"));
  std::string auto_class = k2B4T;
  auto_class.replace(auto_class.find("\"quant_method\""), 0, "\"linear_class\": \"autobitlinear\", ");
  const HfConfig c = parse_hf_config(auto_class, "c.json");
  EXPECT_EQ(c.linear_class, "autobitlinear");
  EXPECT_FLOAT_EQ(hf_weight_multiplier(2.0f, c), 2.0f);
  EXPECT_THROW(hf_weight_multiplier(0.0f, c), Error);
}

TEST(HfBitnet, ReadsAPackedProjectionFromSafetensors) {
  const std::vector<int8_t> w{1, 0, -1, 0, 0, 1, 1, -1, -1, -1, 0, 1, 0, 0, 0, 1};  // [8, 2]
  const auto packed = hf_pack_ternary(w, 8, 2);
  const uint16_t scale = f32_to_bf16(4.0f);
  SafetensorsWriter sw;
  sw.add("model.layers.0.self_attn.q_proj.weight", "U8", {2, 2}, std::as_bytes(std::span(packed)));
  sw.add("model.layers.0.self_attn.q_proj.weight_scale", "BF16", {1},
         std::as_bytes(std::span<const uint16_t>(&scale, 1)));
  const SafetensorsFile f = SafetensorsFile::parse(MappedFile::from_bytes(sw.serialize(), "m.safetensors"));
  const HfConfig c = parse_hf_config(k2B4T, "config.json");
  const HfTernaryWeight t = hf_read_ternary(f, "model.layers.0.self_attn.q_proj", c);
  EXPECT_EQ(t.rows, 8);
  EXPECT_EQ(t.cols, 2);
  EXPECT_EQ(t.values, w);
  EXPECT_EQ(t.scale, 0.25f);
  EXPECT_THAT([&] { hf_read_ternary(f, "model.layers.1.self_attn.q_proj", c); },
              ::testing::ThrowsMessage<Error>(HasSubstr("no tensor named 'model.layers.1.self_attn.q_proj.weight'")));
}
