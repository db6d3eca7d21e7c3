#include "progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

namespace torchdiag::cli {
namespace {

constexpr auto kTick = std::chrono::milliseconds(500);

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

Terminal stderr_terminal() {
  if (::isatty(STDERR_FILENO) == 0) return Terminal::kNone;
  const char* term = std::getenv("TERM");
  return !term || !*term || std::string(term) == "dumb" ? Terminal::kDumb : Terminal::kAnsi;
}

SweepProgress::SweepProgress(std::string what, double deadline_s)
    : terminal_(stderr_terminal()), what_(std::move(what)), deadline_s_(deadline_s), start_(Clock::now()) {
  if (terminal_ != Terminal::kNone) ticker_ = std::thread([this] { tick(); });
}

SweepProgress::~SweepProgress() {
  if (!ticker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    erase();
  }
  cv_.notify_all();
  ticker_.join();
}

void SweepProgress::begin(size_t index, size_t total, std::string config, std::string best, bool bound) {
  if (terminal_ == Terminal::kNone) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index_ = index;
    total_ = total;
    bound_ = bound;
    config_ = std::move(config);
    best_ = std::move(best);
    config_start_ = Clock::now();
    active_ = true;
  }
  cv_.notify_all();  // draw the new configuration now, not at the next tick
}

void SweepProgress::on_config_start(size_t index, size_t total, const BenchSpec& c) {
  begin(index, total, fmt::format("{} threads={} streams={} {}", c.workload, threads_label(c), c.streams, c.allocator),
        "", false);
}

void SweepProgress::on_search_step(size_t index, size_t bound, std::string config, std::string best) {
  begin(index, bound, std::move(config), best.empty() ? "" : ", best " + best, true);
}

void SweepProgress::on_search_step_done() {
  if (terminal_ == Terminal::kNone) return;
  std::lock_guard<std::mutex> lock(mu_);
  active_ = false;
}

void SweepProgress::on_config_done(size_t index, size_t total, const BenchRow&) {
  if (terminal_ == Terminal::kNone) return;
  std::lock_guard<std::mutex> lock(mu_);
  active_ = false;
  if (index + 1 == total) erase();
}

void SweepProgress::tick() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (active_) {
      const auto now = Clock::now();
      const double elapsed = seconds(now - start_), in_config = seconds(now - config_start_);
      std::string eta;
      if (index_ > 0) {
        // The configurations done so far took this long each, on average.
        const double per = seconds(config_start_ - start_) / static_cast<double>(index_);
        double left = per * static_cast<double>(total_ - index_) - in_config;
        if (deadline_s_ > 0) left = std::min(left, deadline_s_ - elapsed);
        eta = fmt::format(", about {:.0f} s left", std::max(left, 0.0));
      } else if (deadline_s_ > 0) {
        eta = fmt::format(", at most {:.0f} s left", std::max(deadline_s_ - elapsed, 0.0));
      }
      if (bound_) {
        // A search ends when it converges: the time left is the deadline's only.
        eta = deadline_s_ > 0 ? fmt::format(", {:.0f} s left", std::max(deadline_s_ - elapsed, 0.0)) : "";
        // The configuration last: a narrow terminal cuts it, not the figures.
        draw(fmt::format("torchdiag {}: {} of at most {}, {:.1f} s{}{}: {}", what_, index_ + 1, total_, in_config,
                         best_, eta, config_));
      } else {
        draw(fmt::format("torchdiag {}: [{}/{}] {}  {:.1f} s{}", what_, index_ + 1, total_, config_, in_config, eta));
      }
    }
    cv_.wait_for(lock, kTick);
  }
}

void SweepProgress::draw(const std::string& full) {
  // A line longer than the terminal wraps, and \r then redraws only its last row.
  struct winsize ws {};
  const bool sized = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1;
  const std::string line = sized && full.size() >= ws.ws_col ? full.substr(0, ws.ws_col - 1u) : full;
  if (terminal_ == Terminal::kAnsi) {
    fmt::print(stderr, "\r\033[K{}", line);
  } else {  // no escape sequences: overwrite with the line, then blank what is left
    fmt::print(stderr, "\r{}{}", line, std::string(drawn_ > line.size() ? drawn_ - line.size() : 0, ' '));
  }
  drawn_ = line.size();
  std::fflush(stderr);
}

void SweepProgress::erase() {
  if (drawn_ == 0) return;
  if (terminal_ == Terminal::kAnsi) fmt::print(stderr, "\r\033[K");
  else fmt::print(stderr, "\r{}\r", std::string(drawn_, ' '));
  drawn_ = 0;
  std::fflush(stderr);
}

}  // namespace torchdiag::cli
