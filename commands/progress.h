#pragma once
// What a person sees on stderr while a sweep runs: one line, redrawn at least every
// 0.5 s, naming the configuration and the time spent and left. Only on a terminal
// (stderr a TTY, whatever stdout is); TERM=dumb gets the same line without escape
// sequences. torchdiag never colours its output, so NO_COLOR has nothing to turn off.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "bench/sweep.h"

namespace torchdiag::cli {

/// How stderr can show a live line.
enum class Terminal { kNone, kDumb, kAnsi };

/// kNone when stderr is not a TTY, kDumb for TERM=dumb (or unset), else kAnsi.
Terminal stderr_terminal();

class SweepProgress : public SweepObserver {
 public:
  /// `deadline_s` > 0: the sweep ends then (recommend --budget), which bounds the ETA.
  explicit SweepProgress(std::string what, double deadline_s = 0);
  ~SweepProgress() override;
  SweepProgress(const SweepProgress&) = delete;
  SweepProgress& operator=(const SweepProgress&) = delete;

  void on_config_start(size_t index, size_t total, const BenchSpec& config) override;
  void on_config_done(size_t index, size_t total, const BenchRow& row) override;

  /// A search step: configuration `index` (from 0) of at most `bound`, described by
  /// `config`, with the best result so far (`best`, "" before there is one).
  void on_search_step(size_t index, size_t bound, std::string config, std::string best);
  /// The step's configuration has been measured.
  void on_search_step_done();

 private:
  /// Shows configuration `index` of `total` (an upper bound when `bound`).
  void begin(size_t index, size_t total, std::string config, std::string best, bool bound);
  void tick();
  void draw(const std::string& full);  ///< with the lock held; cut to the terminal width
  void erase();                        ///< with the lock held

  using Clock = std::chrono::steady_clock;
  const Terminal terminal_;
  const std::string what_;
  const double deadline_s_;
  const Clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool active_ = false;         ///< a configuration is running
  size_t index_ = 0, total_ = 0;
  std::string config_;
  std::string best_;            ///< search: "best so far ..."; "" for a sweep
  bool bound_ = false;          ///< search: total_ is an upper bound
  Clock::time_point config_start_;
  size_t drawn_ = 0;            ///< characters of the line on screen (TERM=dumb erases with spaces)
  std::thread ticker_;
};

}  // namespace torchdiag::cli
