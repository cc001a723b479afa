// The roles of the format table (ternary, exportable, head_capable) and the
// queries built on them: the answers the exporters, the config parser and
// the CLI used to write as their own lists.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/error.hpp"
#include "formats/format.hpp"

using namespace lowbit;

namespace {
std::set<std::string> names_with(FormatRole role) {
  std::set<std::string> s;
  for (const FormatTraits& f : all_formats())
    if (f.*role) s.insert(std::string(f.name));
  return s;
}
}  // namespace

TEST(FormatRoles, TernaryFormats) {
  EXPECT_EQ(names_with(&FormatTraits::ternary), (std::set<std::string>{"tq1_0", "tq2_0", "i2_s"}));
}

TEST(FormatRoles, ExportableFormatsAreTheOnesWithAQuantizerForProjections) {
  EXPECT_EQ(names_with(&FormatTraits::exportable), (std::set<std::string>{"f32", "f16", "tq1_0", "tq2_0", "i2_s"}));
  for (const FormatTraits& f : all_formats())
    if (f.exportable) {
      EXPECT_NE(f.from_float, nullptr) << f.name;
    }
}

TEST(FormatRoles, HeadFormatsReadRowsAndHaveNoTrailer) {
  EXPECT_TRUE(format_traits(Format::F16).head_capable);
  EXPECT_TRUE(format_traits(Format::F32).head_capable);
  for (const FormatTraits& f : all_formats()) {
    if (!f.head_capable) continue;
    EXPECT_NE(f.to_float, nullptr) << f.name;
    EXPECT_EQ(f.tensor_trailer_bytes, 0) << f.name;
    EXPECT_FALSE(f.ternary) << f.name;
  }
}

TEST(FormatRoles, BlockDecoderOnTernaryFormatsWithBlockScales) {
  for (const FormatTraits& f : all_formats())
    EXPECT_EQ(f.decode_ternary_block != nullptr, f.ternary && f.tensor_trailer_bytes == 0) << f.name;
}

TEST(FormatRoles, RequireFormatNamesTheAllowedOnes) {
  EXPECT_EQ(&require_format_with("tq2_0", &FormatTraits::exportable, "type"), &format_traits(Format::TQ2_0));
  EXPECT_EQ(format_names_with(&FormatTraits::ternary), "tq1_0, tq2_0, i2_s");
  try {
    require_format_with("q6_k", &FormatTraits::exportable, "export.type");
    FAIL() << "q6_k is not exportable";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "export.type 'q6_k': expected one of f32, f16, tq1_0, tq2_0, i2_s");
  }
  EXPECT_THROW(require_format_with("nope", &FormatTraits::ternary, "type"), Error);
}
