#include "core/text.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace iotaudit {
namespace {

TEST(AsciiLower, AgreesWithTheCLocaleForEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  const std::string low = ascii_lower(all);
  ASSERT_EQ(low.size(), 256u);
  for (int c = 0; c < 256; ++c)
    EXPECT_EQ(static_cast<unsigned char>(low[static_cast<std::size_t>(c)]), std::tolower(c)) << "byte " << c;
}

TEST(AsciiLower, LeavesUtf8AndEmbeddedNulAlone) {
  EXPECT_EQ(ascii_lower("Buffer Overflow in MQTT \xC3\x84rger"), "buffer overflow in mqtt \xC3\x84rger");
  EXPECT_EQ(ascii_lower(std::string("A\0B", 3)), std::string("a\0b", 3));
  EXPECT_EQ(ascii_lower(""), "");
}

TEST(SplitList, DropsEmptyItems) {
  EXPECT_EQ(split_list("a,b,,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split_list(",,"), std::vector<std::string>{});
  EXPECT_EQ(split_list("x;y", ';'), (std::vector<std::string>{"x", "y"}));
}

}  // namespace
}  // namespace iotaudit
