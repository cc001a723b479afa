// StringList against std::vector<std::string>, the container it replaces.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/string_list.hpp"

using namespace lowbit;

TEST(StringList, MatchesVectorOfStrings) {
  std::mt19937 rng(3);
  std::vector<std::string> want;
  StringList got;
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, '\0');  // empty strings and embedded NULs included
    for (char& c : s) c = char(rng() % 256);
    want.push_back(s);
    got.push_back(s);
  }
  ASSERT_EQ(got.size(), want.size());
  size_t bytes = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i], want[i]) << i;
    bytes += want[i].size();
  }
  EXPECT_EQ(got.total_bytes(), bytes);
  EXPECT_EQ(got.back(), want.back());
  EXPECT_EQ(got.to_vector(), want);
  EXPECT_TRUE(got == want);
  EXPECT_EQ(got, StringList(want));
  size_t i = 0;
  for (std::string_view s : got) EXPECT_EQ(s, want[i++]);
  EXPECT_EQ(i, want.size());
  EXPECT_EQ(std::distance(got.begin(), got.end()), std::ptrdiff_t(want.size()));
}

TEST(StringList, BoundariesBetweenStringsCount) {
  // Same bytes, split differently: not equal.
  EXPECT_NE(StringList({"ab", "c"}), StringList({"a", "bc"}));
  EXPECT_NE(StringList({"a", ""}), StringList({"a"}));
  EXPECT_EQ(StringList({"a", "", "b"}), StringList({"a", "", "b"}));
  EXPECT_FALSE(StringList({"a"}) == (std::vector<std::string>{"a", "b"}));
  const StringList empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.begin(), empty.end());
  StringList l{"x", "yz"};
  l.clear();
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.total_bytes(), 0u);
}
