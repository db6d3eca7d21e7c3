#include "wire/protocol.h"

#include <nlohmann/json.hpp>

#include "model/enum_names.h"
#include "util/json_text.h"
#include "wire/codecs.h"

namespace torchdiag::wire {
namespace {

using nlohmann::json;

constexpr EnumNames<Phase, 2> kPhaseNames{{{Phase::kTimedStart, "timed_start"}, {Phase::kTimedEnd, "timed_end"}}};
constexpr EnumNames<ErrorKind, 3> kErrorKindNames{
    {{ErrorKind::kUsage, "usage"}, {ErrorKind::kModel, "model"}, {ErrorKind::kRuntime, "runtime"}}};

json to_json(const Hello& m) {
  return {{"type", "hello"}, {"protocol", m.protocol}, {"torch_version", m.torch_version}, {"pid", m.pid}};
}
json to_json(const Info& m) { return {{"type", "info"}, {"torch", torch_facts_to_json(m.torch)}}; }
json to_json(const PhaseChange& m) { return {{"type", "phase"}, {"phase", enum_name(kPhaseNames, m.phase)}}; }
json to_json(const ResultMessage& m) { return {{"type", "result"}, {"result", worker_result_to_json(m.result)}}; }
json to_json(const ErrorMessage& m) {
  return {{"type", "error"}, {"kind", enum_name(kErrorKindNames, m.kind)}, {"message", m.message}};
}

template <class T>
Expected<T> fail(std::string why) {
  return Expected<T>::failure(std::move(why));
}

Expected<Message> message_from_json(const json& j) {
  const auto type = j.value("type", "");
  if (type == "hello") return Message{Hello{j.value("protocol", 0), j.value("torch_version", ""), j.value("pid", 0)}};
  if (type == "info") return Message{Info{torch_facts_from_json(j.value("torch", json::object()))}};
  if (type == "phase") {
    const auto phase = enum_parse(kPhaseNames, j.value("phase", ""));
    if (!phase) return fail<Message>("unknown phase '" + j.value("phase", "") + "'");
    return Message{PhaseChange{*phase}};
  }
  if (type == "result") {
    auto result = worker_result_from_json(j.value("result", json::object()));
    if (!result) return fail<Message>(result.error());
    return Message{ResultMessage{std::move(*result)}};
  }
  if (type == "error") {
    const auto kind = enum_parse(kErrorKindNames, j.value("kind", "")).value_or(ErrorKind::kRuntime);
    return Message{ErrorMessage{kind, j.value("message", "worker error")}};
  }
  return fail<Message>("unknown message type '" + type + "'");
}

}  // namespace

std::string encode(const Request& request) {
  json j = {{"protocol", kProtocolVersion}};
  if (const auto* bench = std::get_if<BenchRequest>(&request)) {
    j["command"] = "bench";
    j["spec"] = spec_to_json(bench->spec);
  } else {
    j["command"] = "info";
  }
  return json_text(j);
}

std::string encode(const Message& message) {
  return json_text(std::visit([](const auto& m) { return to_json(m); }, message));
}

Expected<Request> decode_request(std::string_view line) {
  const auto j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail<Request>("request is not a JSON object");
  const int protocol = j.value("protocol", 0);
  if (protocol != kProtocolVersion) {
    return fail<Request>("request speaks protocol " + std::to_string(protocol) + ", this worker " +
                         std::to_string(kProtocolVersion));
  }
  const auto command = j.value("command", "");
  if (command == "info") return Request{InfoRequest{}};
  if (command != "bench") return fail<Request>("unknown command '" + command + "' (expected info or bench)");
  auto spec = spec_from_json(j.value("spec", json::object()));
  if (!spec) return fail<Request>(spec.error());
  return Request{BenchRequest{std::move(*spec)}};
}

Expected<Message> decode_message(std::string_view line) {
  const auto j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail<Message>("not a JSON object");
  try {
    return message_from_json(j);
  } catch (const json::exception& e) {
    return fail<Message>(std::string("malformed message: ") + e.what());
  }
}

}  // namespace torchdiag::wire
