#include <catch2/catch.hpp>

#include "util/strings.h"

using namespace torchdiag;

TEST_CASE("parse_int is strict", "[util]") {
  CHECK(parse_int("42") == 42);
  CHECK(parse_int("-1") == -1);
  CHECK_FALSE(parse_int(""));
  CHECK_FALSE(parse_int("4 2"));
  CHECK_FALSE(parse_int("1e3"));
  CHECK_FALSE(parse_int("99999999999999999999"));
}

TEST_CASE("parse_double rejects non-finite and trailing junk", "[util]") {
  CHECK(parse_double("1.5") == Approx(1.5));
  CHECK_FALSE(parse_double("nan"));
  CHECK_FALSE(parse_double("inf"));
  CHECK_FALSE(parse_double("1.5x"));
}

TEST_CASE("split keeps empty fields, split_ws drops them", "[util]") {
  CHECK(split("a,,b", ',').size() == 3);
  CHECK(split_ws("  a \t b  ").size() == 2);
  CHECK(trim("  x \n") == "x");
}

TEST_CASE("sanitize_utf8 keeps valid text and replaces each invalid byte with U+FFFD", "[util]") {
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(sanitize_utf8("plain ascii") == "plain ascii");
  CHECK(sanitize_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(sanitize_utf8("a\xFF" "b") == "a" + fffd + "b");
  CHECK(sanitize_utf8("\xC3") == fffd);                       // truncated sequence
  CHECK(sanitize_utf8("\xC0\xAF") == fffd + fffd);            // overlong '/'
  CHECK(sanitize_utf8("\xED\xA0\x80") == fffd + fffd + fffd); // a UTF-16 surrogate
  CHECK(sanitize_utf8("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // above U+10FFFF
  CHECK(sanitize_utf8(std::string("nul\0inside", 10)) == std::string("nul\0inside", 10));
}

TEST_CASE("hex_encode and hex_decode carry any bytes", "[util]") {
  const std::string bytes("/tmp/m\xff\x00\xfe.pt", 12);
  CHECK(hex_encode("\x01\xff") == "01ff");
  CHECK(hex_decode(hex_encode(bytes)) == bytes);
  CHECK(hex_decode("0A") == std::string("\n"));
  CHECK_FALSE(hex_decode("abc"));
  CHECK_FALSE(hex_decode("zz"));
}

TEST_CASE("parse_hex_u64 reads a maps address and refuses anything else", "[util]") {
  CHECK(parse_hex_u64("7f3a00") == 0x7f3a00ULL);
  CHECK(parse_hex_u64("FFFFFFFFFFFFFFFF") == ~0ULL);
  CHECK(parse_hex_u64("0") == 0ULL);
  CHECK_FALSE(parse_hex_u64(""));
  CHECK_FALSE(parse_hex_u64("10000000000000000"));  // 17 digits
  CHECK_FALSE(parse_hex_u64("0x10"));
  CHECK_FALSE(parse_hex_u64("12 "));
  CHECK(hex_digit('a') == 10);
  CHECK(hex_digit('F') == 15);
  CHECK(hex_digit('g') == -1);
}

TEST_CASE("did_you_mean: near misses, then unique abbreviations", "[strings]") {
  const std::vector<std::string> formats = {"text", "json", "csv", "markdown"};
  CHECK(did_you_mean("jsno", formats) == "; did you mean 'json'?");
  CHECK(did_you_mean("md", formats) == "; did you mean 'markdown'?");
  CHECK(did_you_mean("txt", formats) == "; did you mean 'text'?");
  CHECK(did_you_mean("yaml", formats).empty());
  CHECK(did_you_mean("m", formats).empty());  // one letter abbreviates nothing
  // Two choices fit the abbreviation: no guess.
  CHECK(did_you_mean("ab", {"axxxxb", "ayyyyb"}).empty());
  CHECK(did_you_mean("--formt", {"--format", "--output"}) == "; did you mean '--format'?");
}

TEST_CASE("parse_byte_size: Kubernetes and Docker units", "[strings]") {
  CHECK(parse_byte_size("4096") == 4096);
  CHECK(parse_byte_size("4Gi") == 4LL << 30);
  CHECK(parse_byte_size("512Mi") == 512LL << 20);
  CHECK(parse_byte_size("4G") == 4000000000LL);
  CHECK(parse_byte_size("4g") == 4LL << 30);
  CHECK(parse_byte_size(" 2Ti ") == 2LL << 40);
  for (const char* bad : {"", "0", "-1", "4XB", "4 Gi", "Gi", "1.5Gi", "99999999999999999999", "9999999999Ti"}) {
    INFO(bad);
    CHECK_FALSE(parse_byte_size(bad));
  }
}
