#include <catch2/catch.hpp>

#include "sys/oom_counter.h"

TEST_CASE("parse_oom_kill_count reads the oom_kill line of /proc/vmstat", "[sys]") {
  using torchdiag::parse_oom_kill_count;
  CHECK(parse_oom_kill_count("nr_free_pages 123\noom_kill 7\npgfault 9\n") == 7);
  CHECK(parse_oom_kill_count("oom_kill 0") == 0);
  CHECK_FALSE(parse_oom_kill_count("nr_free_pages 123\n"));  // kernels before 4.13
  CHECK_FALSE(parse_oom_kill_count("oom_kill x\n"));
  CHECK_FALSE(parse_oom_kill_count("oom_kill_extra 5\n"));
  CHECK(torchdiag::read_oom_kill_count(torchdiag::FsReader()).has_value());
}
