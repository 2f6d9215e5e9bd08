#include "agent/installer/order_report.hpp"

#include "agent/installer/child_process.hpp"

namespace relman::agent {

std::string sanitize_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xe  ? 3
                      : (c >> 3) == 0x1e ? 4
                                         : 0;
    bool valid = len > 0 && i + len <= in.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      valid = (static_cast<unsigned char>(in[i + k]) & 0xc0) == 0x80;
    }
    if (valid && len == 2 && c < 0xc2) valid = false;  // overlong
    if (valid && len == 3) {
      auto c1 = static_cast<unsigned char>(in[i + 1]);
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0))
        valid = false;  // overlong, surrogate
    }
    if (valid && len == 4) {
      auto c1 = static_cast<unsigned char>(in[i + 1]);
      if ((c == 0xf0 && c1 < 0x90) || c > 0xf4 || (c == 0xf4 && c1 >= 0x90)) valid = false;
    }
    if (valid) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

std::string clip_utf8(std::string s, std::size_t max, bool from_end) {
  if (s.size() <= max) return s;
  auto is_cont = [](char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; };
  if (from_end) {
    std::size_t start = s.size() - max;
    while (start < s.size() && is_cont(s[start])) ++start;
    return s.substr(start);
  }
  std::size_t end = max;
  while (end > 0 && is_cont(s[end])) --end;
  return s.substr(0, end);
}

void HookTranscript::add(std::string_view hook, std::string_view outcome, std::string_view output) {
  if (!text_.empty() && text_.back() != '\n') text_ += '\n';
  text_ += "== ";
  text_ += hook;
  text_ += ": ";
  text_ += outcome;
  text_ += " ==\n";
  text_ += output;
  // Each hook contributes at most kHookOutputTailBytes; keep a few hooks' worth.
  constexpr std::size_t kKeep = 4 * kHookOutputTailBytes;
  if (text_.size() > 2 * kKeep) text_.erase(0, text_.size() - kKeep);
}

std::string HookTranscript::tail(std::size_t max) const {
  return clip_utf8(sanitize_utf8(text_), max, /*from_end=*/true);
}

protocol::DeployResult make_result(const protocol::DeployOrder& order, std::string status,
                                   std::string code, std::string message,
                                   std::string installed_version, std::string phase,
                                   const HookTranscript* output) {
  protocol::DeployResult r;
  r.order_id = order.order_id;
  r.deployment_id = order.deployment_id;
  r.status = std::move(status);
  r.code = std::move(code);
  r.message = clip_utf8(sanitize_utf8(message), kMaxResultMessageBytes);
  r.installed_version = std::move(installed_version);
  r.phase = std::move(phase);
  if (output) r.output = output->tail(protocol::kMaxHookOutputBytes);
  return r;
}

protocol::DeployResult failed_result(const protocol::DeployOrder& order, const Error& e,
                                     std::string installed_version) {
  std::string message = e.message;
  if (!e.context.empty()) message += " (" + e.context + ")";
  return make_result(order, "failed", e.code, std::move(message), std::move(installed_version),
                     "failed");
}

void emit_progress(const ProgressSink& sink, const protocol::DeployOrder& order,
                   std::string_view phase, std::uint64_t done, std::uint64_t total) {
  if (!sink) return;
  protocol::DeployProgress p;
  p.order_id = order.order_id;
  p.deployment_id = order.deployment_id;
  p.phase = std::string(phase);
  p.bytes_done = static_cast<std::int64_t>(done);
  p.bytes_total = static_cast<std::int64_t>(total);
  try {
    sink(p);
  } catch (...) {
  }
}

}  // namespace relman::agent
