#pragma once
// The measured profile (`torchdiag.profile/1`): written by `recommend --measure`, read
// back by `recommend --profile FILE`, and the search path as JSON, which the recommend
// JSON embeds too. The schema is written in this folder, so it is read here too.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/measured_profile.h"
#include "util/expected.h"

namespace torchdiag {

/// The largest profile parse_profile reads (8 MiB: 10000 steps fit); a caller reading the file caps the
/// read with it (read_user_file).
inline constexpr size_t kMaxProfileBytes = size_t{8} << 20;

/// The search path as JSON (used inside the recommend JSON and the profile): objective,
/// constraints (null when none is set; each limit null when unset), steps [{point:
/// {threads, interop, streams, workers, allocator}, result: {ok, error, p50_s, p99_s,
/// throughput_per_s, peak_rss_bytes (null when unknown), throttled_fraction, noise},
/// feasible, verdict}], chosen (an index into steps, or null), stop_reason, elapsed_s.
/// A non-finite number is written as null (which parse_profile refuses).
nlohmann::ordered_json search_to_json(const SearchOutcome& s);

/// The torchdiag.profile/1 document, pretty-printed and ending with a newline: schema,
/// created, settings {OMP_NUM_THREADS and MKL_NUM_THREADS (both chosen.threads, as
/// strings like the environment), interop_threads, streams, workers, allocator, and
/// LD_PRELOAD and MALLOC_CONF only when set}, chosen (the point), constraints_met, facts
/// {usable_threads, quota_cpus (null when none), cpuset (null when unknown), cpu_model,
/// torch_version, workload, model, model_hash, inputs}, search (search_to_json).
/// Invalid UTF-8 in a string becomes U+FFFD (json_text). A search of thousands of steps
/// with long verdicts could pass kMaxProfileBytes and not be read back.
std::string profile_to_json_text(const MeasuredProfile& p);

/// Reads a profile back, strictly: the file may come from anyone and torchdiag may run
/// as root. Every field the writer writes is required (LD_PRELOAD and MALLOC_CONF only
/// when set; "" when absent) with its type; counts are integers 1..4096 (bench's
/// kMaxThreads), usable_threads 1..65536 (kMaxCpus), times, throughputs and byte counts
/// finite and >= 0, throttled_fraction 0..1, strings at most 4096 bytes (cpuset 64 KiB,
/// and a CPU list), at most 10000 steps and 256 inputs, search.chosen an index into the
/// steps, enum names known ones, and the settings block the same as `chosen`. Fields it
/// does not know are ignored (later writers of schema 1 may add some).
/// A failure is one line without the path (the caller prefixes it), e.g.
///   "not valid JSON (truncated or corrupted at byte 812)"
///   "not a torchdiag profile (schema 'torchdiag.bench/1')"
///   "written by a newer torchdiag (schema torchdiag.profile/2); this version reads torchdiag.profile/1"
///   "'chosen.threads': expected an integer 1..4096"
///   "'search.objective': unknown objective 'speed' (known: throughput, latency, p99)"
///   "too large (9000000 bytes; a profile is at most 8 MiB)"
/// parse_profile(profile_to_json_text(p)) gives back every field of a valid `p`. Never
/// throws; nesting is checked before the document is built (at most 32 levels).
Expected<MeasuredProfile> parse_profile(std::string_view text);

}  // namespace torchdiag
