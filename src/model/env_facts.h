#pragma once
#include <map>
#include <string>
#include <vector>

#include "model/fact.h"

namespace torchdiag {

/// Environment variables that change how thread pools and allocators behave.
const std::vector<std::string>& thread_env_names();

/// The thread-related variables that are set, and where they were read from.
struct EnvFacts {
  std::map<std::string, std::string> vars;  ///< only names from thread_env_names()
  std::map<std::string, std::string> pod;   ///< POD_NAMESPACE, POD_NAME, CONTAINER_NAME when set
  std::string source;                       ///< "process environment" or the environ file
  std::string error;                        ///< non-empty when the environment was unreadable
};

}  // namespace torchdiag
