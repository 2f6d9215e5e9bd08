// What an order reports to the controller: progress while it runs and one result at the end.
// Hook output is arbitrary bytes, results travel as JSON (valid UTF-8 only) and every field
// has a size limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "protocol/error.hpp"
#include "protocol/messages.hpp"

namespace relman::agent {

// Replaces every byte that is not part of a valid UTF-8 sequence with '?'.
std::string sanitize_utf8(std::string_view in);

// Cuts to at most `max` bytes without splitting a UTF-8 sequence; keeps the end when from_end.
std::string clip_utf8(std::string s, std::size_t max, bool from_end = false);

// The output of the hooks an order ran, each under a "== <name>: <outcome> ==" line; tail()
// is the last `max` bytes of all of it, as valid UTF-8.
class HookTranscript {
 public:
  void add(std::string_view hook, std::string_view outcome, std::string_view output);
  std::string tail(std::size_t max) const;
  bool empty() const { return text_.empty(); }

 private:
  std::string text_;  // bounded: older output is dropped as new output comes
};

inline constexpr std::size_t kMaxResultMessageBytes = 4096;

// A result for `order`; message and output are made valid UTF-8 and clipped to their limits.
// phase is one of protocol::kDeployFinalPhases.
protocol::DeployResult make_result(const protocol::DeployOrder& order, std::string status,
                                   std::string code, std::string message,
                                   std::string installed_version, std::string phase,
                                   const HookTranscript* output = nullptr);
// A failure that left the host as it was (phase "failed").
protocol::DeployResult failed_result(const protocol::DeployOrder& order, const Error& e,
                                     std::string installed_version);

using ProgressSink = std::function<void(const protocol::DeployProgress&)>;
// Sends one progress report; a failing sink (a dropped connection) never aborts the order.
void emit_progress(const ProgressSink& sink, const protocol::DeployOrder& order,
                   std::string_view phase, std::uint64_t done = 0, std::uint64_t total = 0);

}  // namespace relman::agent
