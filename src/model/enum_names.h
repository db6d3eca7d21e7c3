#pragma once
// One table of names per enum: to_string and parse_enum both read it, so a name is
// spelled once. Every enum that reaches a report, an option or the wire declares, next
// to itself, `constexpr EnumNames<E, N> names_of(E)` returning its table; the functions
// below find it by argument-dependent lookup.
#include <array>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

namespace torchdiag {

template <class E, size_t N>
using EnumNames = std::array<std::pair<E, const char*>, N>;

/// The name of `value` in `names` ("" when missing, which a table test rules out).
template <class E, size_t N>
constexpr const char* enum_name(const EnumNames<E, N>& names, E value) {
  for (const auto& [e, name] : names) {
    if (e == value) return name;
  }
  return "";
}

/// The value named `text` exactly, or nullopt.
template <class E, size_t N>
std::optional<E> enum_parse(const EnumNames<E, N>& names, std::string_view text) {
  for (const auto& [e, name] : names) {
    if (text == name) return e;
  }
  return std::nullopt;
}

}  // namespace torchdiag

namespace torchdiag {

/// The name of an enum value that has a table ("" when missing from it).
template <class E, class = decltype(names_of(E{}))>
constexpr const char* to_string(E value) {
  return enum_name(names_of(value), value);
}

/// The value named `text` exactly, or nullopt.
template <class E>
std::optional<E> parse_enum(std::string_view text) {
  return enum_parse(names_of(E{}), text);
}

/// True for the enums with a name table.
template <class E, class = void>
struct has_enum_name : std::false_type {};
template <class E>
struct has_enum_name<E, std::enable_if_t<std::is_enum_v<E>, std::void_t<decltype(to_string(std::declval<E>()))>>>
    : std::true_type {};

}  // namespace torchdiag

/// fmt writes such an enum as its name, so messages and reports spell it the same way.
template <class E>
struct fmt::formatter<E, char, std::enable_if_t<torchdiag::has_enum_name<E>::value>>
    : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(E value, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(torchdiag::to_string(value), ctx);
  }
};
