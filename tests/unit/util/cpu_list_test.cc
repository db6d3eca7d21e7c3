#include <catch2/catch.hpp>

#include "util/cpu_list.h"

using namespace torchdiag;

TEST_CASE("parse_cpu_list handles kernel list forms", "[util]") {
  struct Row {
    const char* text;
    CpuSet expected;
  };
  const Row rows[] = {
      {"0", {0}},
      {"0-3", {0, 1, 2, 3}},
      {"0-1,4,6-7\n", {0, 1, 4, 6, 7}},
      {" 3,1,2 ", {1, 2, 3}},
      {"", {}},
      {"\n", {}},
      {"2-2", {2}},
      {"1,1,1", {1}},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    const auto parsed = parse_cpu_list(row.text);
    REQUIRE(parsed.ok());
    CHECK(parsed.cpus == row.expected);
  }
}

TEST_CASE("parse_cpu_list rejects garbage", "[util]") {
  for (const char* bad : {"a", "1-", "-1", "3-1", "1,,2", "1-2-3", "0x1", "99999999999"}) {
    INFO(bad);
    const auto parsed = parse_cpu_list(bad);
    CHECK_FALSE(parsed.ok());
    CHECK(parsed.cpus.empty());
  }
}

TEST_CASE("parse_cpu_mask reads comma-separated hex words", "[util]") {
  CHECK(parse_cpu_mask("3").cpus == CpuSet{0, 1});
  CHECK(parse_cpu_mask("f0").cpus == CpuSet{4, 5, 6, 7});
  CHECK(parse_cpu_mask("ff,0000000f").cpus == CpuSet{0, 1, 2, 3, 32, 33, 34, 35, 36, 37, 38, 39});
  CHECK(parse_cpu_mask("00000000,00000000").cpus.empty());
  CHECK_FALSE(parse_cpu_mask("xyz").ok());
  CHECK_FALSE(parse_cpu_mask("").ok());
  CHECK_FALSE(parse_cpu_mask("ff,,ff").ok());
}

TEST_CASE("masks beyond 1024 CPUs keep every bit", "[util]") {
  // 48 words of 32 bits = 1536 CPUs; set the top bit and bit 0.
  std::string mask = "80000000";
  for (int i = 0; i < 46; ++i) mask += ",00000000";
  mask += ",00000001";
  const auto parsed = parse_cpu_mask(mask);
  REQUIRE(parsed.ok());
  CHECK(parsed.cpus == CpuSet{0, 1535});
  CHECK(parse_cpu_list("0-2047").cpus.size() == 2048);
}

TEST_CASE("format_cpu_list compresses ranges", "[util]") {
  CHECK(format_cpu_list({0, 1, 2, 3, 8, 10, 11}) == "0-3,8,10-11");
  CHECK(format_cpu_list({}) == "");
  CHECK(format_cpu_list({5}) == "5");
  CHECK(intersect({0, 1, 2, 3}, {2, 3, 4}) == CpuSet{2, 3});
}

TEST_CASE("CPU lists and masks are bounded: linear time, at most 65,536 CPUs", "[util]") {
  std::string hostile;
  for (int i = 0; i < 300; ++i) hostile += "0-1048576,";
  hostile.pop_back();
  const auto list = torchdiag::parse_cpu_list(hostile);
  CHECK_FALSE(list.ok());
  CHECK(list.cpus.empty());
  CHECK(list.error.find("beyond CPU 65535") != std::string::npos);
  // The largest list allowed, repeated many times, is still one pass over a bitmap.
  std::string big;
  for (int i = 0; i < 5000; ++i) big += "0-65535,";
  big.pop_back();
  const auto all = torchdiag::parse_cpu_list(big);
  REQUIRE(all.ok());
  CHECK(all.cpus.size() == 65536);
  CHECK(all.cpus.back() == 65535);
  CHECK_FALSE(torchdiag::parse_cpu_list("65536").ok());
  // Masks: zero words beyond the limit are harmless, a set bit there is malformed.
  CHECK(torchdiag::parse_cpu_mask(std::string(20000, '0') + "3").cpus == torchdiag::CpuSet{0, 1});
  CHECK_FALSE(torchdiag::parse_cpu_mask("1" + std::string(16384, '0')).ok());
  CHECK(torchdiag::parse_cpu_mask("8" + std::string(16383, '0')).cpus == torchdiag::CpuSet{65535});
}
