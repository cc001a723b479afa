#include <gtest/gtest.h>

#include "server/metrics_label.hpp"

namespace lowbit::server {
namespace {

TEST(MetricsLabel, EverySampleGetsTheLabelCommentsDoNot) {
  const std::string in =
      "# HELP a_total Things.\n# TYPE a_total counter\na_total 3\n"
      "b_bucket{le=\"0.5\"} 1\nc{} 2\n";
  EXPECT_EQ(with_label(in, "replica", "r2"),
            "# HELP a_total Things.\n# TYPE a_total counter\na_total{replica=\"r2\"} 3\n"
            "b_bucket{replica=\"r2\",le=\"0.5\"} 1\nc{replica=\"r2\"} 2\n");
}

TEST(MetricsLabel, ValueIsEscaped) {
  EXPECT_EQ(with_label("x 1\n", "l", "a\"b\\c"), "x{l=\"a\\\"b\\\\c\"} 1\n");
}

}  // namespace
}  // namespace lowbit::server
