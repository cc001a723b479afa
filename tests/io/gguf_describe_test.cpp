// `lowbit info MODEL`: the report of the golden files lists what
// gguf_ref.py put in them, and the command prints it (or one error line).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "io/gguf_describe.hpp"

using namespace lowbit;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

namespace {
const std::string kDir = std::string(LOWBIT_SOURCE_DIR) + "/tests/reference/golden/";

std::string run(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = ::pclose(p);
  return out;
}
}  // namespace

TEST(Describe, GgufReportListsMetadataTensorsAndTotals) {
  const std::string r = describe_model_file(kDir + "gguf_tiny.gguf");
  EXPECT_THAT(r, HasSubstr("GGUF v3, alignment 16"));
  EXPECT_THAT(r, HasSubstr("architecture: tiny\n"));
  EXPECT_THAT(r, HasSubstr("metadata (20 keys)"));
  EXPECT_THAT(r, HasSubstr("t.arr_i32"));
  EXPECT_THAT(r, HasSubstr("[i32 x 3: 1, -2, 3]"));
  EXPECT_THAT(r, HasSubstr("[array x 3: [u16 x 2: 1, 2], [u16 x 0], [u16 x 1: 65535]]"));
  EXPECT_THAT(r, HasSubstr("\"h\xc3\xa9llo \\\"gguf\\\"\""));
  EXPECT_THAT(r, HasSubstr("tensors (4)"));
  EXPECT_THAT(r, MatchesRegex("(.|\n)*  q +\\[2, 32\\] +q8_0 +68 +[0-9]+\n(.|\n)*"));
  // 15 + 4 + 24 + 64 parameters in 60 + 8 + 96 + 68 bytes: 232 * 8 / 107 bits each.
  EXPECT_THAT(r, HasSubstr("totals: 107 parameters"));
  EXPECT_THAT(r, HasSubstr("(232 bytes), 17.346 bits/weight"));
}

TEST(Describe, SafetensorsReport) {
  const std::string r = describe_model_file(kDir + "safetensors_tiny.safetensors");
  EXPECT_THAT(r, HasSubstr("note  \"lowbit golden\""));
  EXPECT_THAT(r, HasSubstr("tensors (6)"));
  EXPECT_THAT(r, MatchesRegex("(.|\n)*  c +\\[2, 2\\] +BF16 +8 +[0-9]+\n(.|\n)*"));
  EXPECT_THAT(r, HasSubstr("totals: 24 parameters"));
}

TEST(Describe, NeitherFormatIsAnErrorNamingTheFile) {
  EXPECT_THAT([] { describe_model_file(kDir + "../gguf_ref.py"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("gguf_ref.py: not a GGUF or safetensors file")));
  EXPECT_THAT([] { describe_model_file(kDir + "absent.gguf"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("absent.gguf: cannot open")));
}

#ifdef LOWBIT_EXE
TEST(Describe, InfoCommandPrintsTheReportOrOneErrorLine) {
  int status = -1;
  const std::string out = run(std::string(LOWBIT_EXE) + " info " + kDir + "gguf_tiny.gguf", &status);
  EXPECT_EQ(status, 0);
  EXPECT_THAT(out, HasSubstr("tensors (4)"));
  const std::string err = run(std::string(LOWBIT_EXE) + " info " + kDir + "../gguf_ref.py 2>&1", &status);
  EXPECT_NE(status, 0);
  EXPECT_THAT(err, MatchesRegex("lowbit: error: .*gguf_ref.py: not a GGUF or safetensors file\n"));
}
#endif
