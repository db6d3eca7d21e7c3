// Every enum name table: each enumerator has exactly one name, names are unique and
// not empty, and parse(to_string(e)) == e, so a name written to a report, an option
// or the wire reads back as the same value.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "advise/measure_policy.h"
#include "model/bench_result.h"
#include "model/bench_spec.h"
#include "model/capacity.h"
#include "model/enum_names.h"
#include "model/finding.h"
#include "model/recommendation.h"

using namespace torchdiag;

namespace {

/// Checks `names` against the full list of enumerators `all`, with `parse` the
/// table's parse function.
template <class E, size_t N, class Parse>
void check_table(const EnumNames<E, N>& names, const std::vector<E>& all, Parse parse) {
  // The table names every enumerator once, and nothing else.
  REQUIRE(names.size() == all.size());
  std::set<E> values;
  std::set<std::string> spellings;
  for (const auto& [value, name] : names) {
    INFO("name '" << name << "'");
    CHECK(values.insert(value).second);      // each value once
    CHECK(spellings.insert(name).second);    // names unique
    CHECK_FALSE(std::string(name).empty());
  }
  for (const E e : all) {
    const std::string name = to_string(e);
    INFO("enumerator " << static_cast<int>(e) << " named '" << name << "'");
    CHECK(values.count(e) == 1);
    CHECK_FALSE(name.empty());
    CHECK(name == enum_name(names, e));
    const std::optional<E> back = parse(name);
    REQUIRE(back.has_value());
    CHECK(*back == e);
    CHECK(fmt::format("{}", e) == name);  // fmt prints the enum by its name
  }
  // Parsing is exact: no case folding, no prefixes, nothing for unknown text.
  CHECK_FALSE(parse("").has_value());
  CHECK_FALSE(parse("no such name").has_value());
  for (const auto& [value, name] : names) {
    INFO("name '" << name << "'");
    CHECK_FALSE(parse(std::string(name) + " ").has_value());
    CHECK_FALSE(parse(std::string(name).substr(0, std::string(name).size() - 1)).has_value());
  }
}

}  // namespace

TEST_CASE("Workload names round-trip", "[model][enum]") {
  check_table(names_of(Workload{}), {Workload::kIndexSelect, Workload::kForward},
              [](std::string_view s) { return parse_enum<Workload>(s); });
  CHECK(std::string(to_string(Workload::kIndexSelect)) == "index_select");
  CHECK(std::string(to_string(Workload::kForward)) == "forward");
}

TEST_CASE("Allocator names round-trip", "[model][enum]") {
  check_table(names_of(Allocator{}), {Allocator::kGlibc, Allocator::kJemalloc},
              [](std::string_view s) { return parse_enum<Allocator>(s); });
  CHECK(std::string(to_string(Allocator::kGlibc)) == "glibc");
  CHECK(std::string(to_string(Allocator::kJemalloc)) == "jemalloc");
}

TEST_CASE("SpinMethod names round-trip", "[model][enum]") {
  check_table(names_of(SpinMethod{}), {SpinMethod::kSampling, SpinMethod::kProxy, SpinMethod::kUnavailable},
              [](std::string_view s) { return parse_enum<SpinMethod>(s); });
}

TEST_CASE("RowStatus names round-trip", "[model][enum]") {
  check_table(names_of(RowStatus{}), {RowStatus::kOk, RowStatus::kFailed, RowStatus::kTimeout, RowStatus::kSkipped},
              [](std::string_view s) { return parse_enum<RowStatus>(s); });
  CHECK(std::string(to_string(RowStatus::kOk)) == "ok");
  CHECK(std::string(to_string(RowStatus::kFailed)) == "failed");
}

TEST_CASE("LimitedBy names round-trip", "[model][enum]") {
  check_table(names_of(LimitedBy{}),
              {LimitedBy::kAffinity, LimitedBy::kQuota, LimitedBy::kPhysicalCores, LimitedBy::kUnknown},
              [](std::string_view s) { return parse_enum<LimitedBy>(s); });
  CHECK(std::string(to_string(LimitedBy::kPhysicalCores)) == "physical cores");
}

TEST_CASE("Severity names round-trip", "[model][enum]") {
  check_table(names_of(Severity{}), {Severity::kInfo, Severity::kWarning, Severity::kCritical},
              [](std::string_view s) { return parse_enum<Severity>(s); });
}

TEST_CASE("RecommendMode names round-trip", "[model][enum]") {
  // No parse_recommend_mode: the table's own parse is what a reader would use.
  check_table(names_of(RecommendMode{}), {RecommendMode::kQuick, RecommendMode::kMeasure, RecommendMode::kProfile},
              [](std::string_view s) { return enum_parse(names_of(RecommendMode{}), s); });
  CHECK(std::string(to_string(RecommendMode::kQuick)) == "quick");
  CHECK(std::string(to_string(RecommendMode::kMeasure)) == "measure");
}

TEST_CASE("Objective names round-trip", "[model][enum]") {
  check_table(names_of(Objective{}), {Objective::kThroughput, Objective::kLatency, Objective::kP99},
              [](std::string_view s) { return parse_enum<Objective>(s); });
  check_table(names_of(ProfileAction{}), {ProfileAction::kApplied, ProfileAction::kScaled, ProfileAction::kFellBack},
              [](std::string_view s) { return parse_enum<ProfileAction>(s); });
}
