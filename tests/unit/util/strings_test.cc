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
