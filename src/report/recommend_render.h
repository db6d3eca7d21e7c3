#pragma once
// Every output form of `torchdiag recommend`: pure functions of a Recommendation.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/recommendation.h"
#include "report/format.h"

namespace torchdiag {

/// The formats `recommend` supports, in the order the help lists them.
const std::vector<Format>& recommend_formats();

/// The recommendation in `format`, ending with a newline:
///   text     a readable explanation (with the evidence table when `explain`)
///   shell    `export K='V'` lines, safe to eval in any POSIX sh
///   env      `K=V` lines, taken literally (docker --env-file)
///   json     the torchdiag.recommend/1 document
///   docker   `-e K=V` flags on one line (values with shell-special characters quoted)
///   k8s      an `env:` YAML list with double-quoted values, after `resources.limits` when
///            the answer is for a target's --cpus/--memory
///   systemd  `Environment="K=V"` lines
///   openmetrics  torchdiag_recommended_threads per variable (report/openmetrics.h)
///   torchserve   config.properties lines (workers, netty threads) and, as comments, the
///                environment its Python workers inherit
///   triton   the instance_group and INTRA_/INTER_OP_THREAD_COUNT parameters of a
///            PyTorch-backend config.pbtxt
/// nullopt for a format recommend does not support (csv, markdown).
std::optional<std::string> render_recommendation(const Recommendation& rec, Format format,
                                                 bool explain = false);

/// The `torchdiag.recommend/1` document: schema, mode, omp_num_threads (int), env
/// (name -> value), reasons (one object per variable), facts (quota_cpus and affinity
/// null when unknown), candidates, warnings (problems first).
nlohmann::ordered_json recommend_to_json(const Recommendation& rec);

/// The evidence table for people: facts used, candidates, why each value.
std::string render_explain(const Recommendation& rec);

/// `value` as one POSIX shell word: single-quoted, each ' written as '\''.
std::string shell_quote(std::string_view value);

/// `value` as a YAML double-quoted scalar (JSON string escaping, which YAML accepts).
std::string yaml_quote(std::string_view value);

/// `value` inside a systemd Environment="..." assignment: \ " escaped, % doubled,
/// newline and tab as C escapes.
std::string systemd_escape(std::string_view value);

}  // namespace torchdiag
