#pragma once
// What a reader of a chart sees, checked without rendering: every text element's
// estimated box lies inside the viewBox, and a chart's legend has one entry per series.
#include <catch2/catch.hpp>

#include <regex>
#include <string>

namespace torchdiag::testing {

/// Characters of a text element's content once its XML entities are read as one each.
inline size_t shown_chars(const std::string& xml) {
  static const std::regex entity("&[a-z]+;|&#[0-9]+;");
  return std::regex_replace(xml, entity, "_").size();
}

/// Checks each <text>: box estimated at 0.6 x font-size per character wide and
/// font-size high (a rotate(-90 x y) about its anchor turns the box), inside the viewBox.
inline void check_text_inside(const std::string& svg) {
  std::smatch m;
  static const std::regex view_box(R"re(viewBox="0 0 ([0-9.]+) ([0-9.]+)")re");
  REQUIRE(std::regex_search(svg, m, view_box));
  const double width = std::stod(m[1]), height = std::stod(m[2]);
  static const std::regex text(R"re(<text x="([-0-9.]+)" y="([-0-9.]+)" font-size="([0-9.]+)"(?: text-anchor="([a-z]+)")?([^>]*)>([^<]*)</text>)re");
  size_t texts = 0;
  for (std::sregex_iterator it(svg.begin(), svg.end(), text), end; it != end; ++it) {
    const auto& t = *it;
    ++texts;
    const double x = std::stod(t[1]), y = std::stod(t[2]), size = std::stod(t[3]);
    const std::string anchor = t[4].matched ? t[4].str() : "start";
    const double w = 0.6 * size * static_cast<double>(shown_chars(t[6]));
    const double shift = anchor == "middle" ? w / 2 : anchor == "end" ? w : 0;
    double x0 = x - shift, x1 = x - shift + w, y0 = y - size, y1 = y + 0.25 * size;
    if (t[5].str().find("rotate(-90") != std::string::npos) {  // turned about (x, y)
      x0 = x - size;
      x1 = x + 0.25 * size;
      y0 = y - (w - shift);
      y1 = y + shift;
    }
    INFO("text '" << t[6] << "' at (" << x << ", " << y << ") box x " << x0 << ".." << x1 << ", y " << y0 << ".." << y1
                  << " in " << width << " x " << height);
    CHECK(x0 >= 0);
    CHECK(x1 <= width);
    CHECK(y0 >= 0);
    CHECK(y1 <= height);
  }
  CHECK(texts > 0);
}

/// Legend entries of one chart (class="legend-entry" data-chart="NAME").
inline size_t legend_entries(const std::string& svg, const std::string& chart) {
  const std::string key = "class=\"legend-entry\" data-chart=\"" + chart + "\"";
  size_t n = 0;
  for (size_t at = svg.find(key); at != std::string::npos; at = svg.find(key, at + 1)) ++n;
  return n;
}

}  // namespace torchdiag::testing
