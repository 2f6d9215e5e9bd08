#include "controller/events/webhook_dispatcher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <fstream>

#include <spdlog/spdlog.h>

#include "certs/tls_context.hpp"
#include "controller/events/recipient_filter.hpp"
#include "protocol/clock.hpp"
#include "protocol/https_client.hpp"

namespace relman::controller {
namespace {

constexpr std::int64_t kBatch = 100;

Result<std::optional<std::int64_t>> read_cursor(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::optional<std::int64_t>();
  std::string text;
  std::getline(in, text);
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size() || id < 0) {
    return fail("webhook.cursor_invalid",
                "the delivery cursor file is damaged; delete it to start from the newest event",
                file.string());
  }
  return std::optional<std::int64_t>(id);
}

// Written to a temporary file, synced and renamed: a crash leaves the old or the new value.
Result<void> write_cursor(const std::filesystem::path& file, std::int64_t id) {
  auto tmp = file;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("webhook.cursor_write", "cannot write the delivery cursor", tmp.string());
  const std::string text = std::to_string(id) + "\n";
  bool good = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
              ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (good) std::filesystem::rename(tmp, file, ec);
  if (!good || ec) {
    return fail("webhook.cursor_write", "cannot write the delivery cursor", file.string());
  }
  return ok();
}

}  // namespace

struct WebhookDispatcher::Hook {
  WebhookConfig config;
  EventFilter filter;
  RecipientFilter recipients;
  std::shared_ptr<asio::ssl::context> tls;
  std::filesystem::path cursor_file;
  std::int64_t cursor = 0;
  WebhookStatus status;  // guarded by the dispatcher's mu_
};

WebhookDispatcher::WebhookDispatcher(Store& store, std::vector<WebhookConfig> hooks,
                                     std::filesystem::path cursor_dir,
                                     std::chrono::milliseconds idle_poll)
    : store_(store),
      configs_(std::move(hooks)),
      cursor_dir_(std::move(cursor_dir)),
      idle_poll_(idle_poll) {}

WebhookDispatcher::~WebhookDispatcher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

Result<void> WebhookDispatcher::start() {
  if (configs_.empty()) return ok();
  std::error_code ec;
  std::filesystem::create_directories(cursor_dir_, ec);
  if (ec) {
    return fail("webhook.cursor_write", "cannot create the webhook cursor directory",
                cursor_dir_.string());
  }
  RELMAN_TRY(newest, store_.list_audit(AuditQuery{}, Page{1, 0}));
  const std::int64_t newest_id = newest.empty() ? 0 : newest.front().id;
  for (const auto& config : configs_) {
    auto hook = std::make_unique<Hook>();
    hook->config = config;
    RELMAN_TRY(filter, EventFilter::parse(config.types));
    hook->filter = std::move(filter);
    hook->recipients = RecipientFilter(config.users, config.groups);
    auto tls = pki::make_outbound_client_context(config.ca_file);
    if (!tls) {
      return fail("webhook.tls", "webhook " + config.name + ": " + tls.error().message,
                  tls.error().context);
    }
    hook->tls = *tls;
    hook->cursor_file = cursor_dir_ / (config.name + ".cursor");
    RELMAN_TRY(cursor, read_cursor(hook->cursor_file));
    if (cursor) {
      hook->cursor = *cursor;
    } else {
      hook->cursor = newest_id;
      RELMAN_CHECK(write_cursor(hook->cursor_file, newest_id));
    }
    hook->status.name = config.name;
    hook->status.url = config.url;
    hook->status.types = config.types;
    hook->status.cursor = hook->cursor;
    spdlog::info("webhook {}: delivering {} to {} after event {}", config.name,
                 config.types.empty() ? "every event" : config.types, config.url, hook->cursor);
    hooks_.push_back(std::move(hook));
  }
  for (auto& hook : hooks_) threads_.emplace_back([this, h = hook.get()] { run(*h); });
  return ok();
}

std::vector<WebhookStatus> WebhookDispatcher::status() const {
  std::lock_guard lock(mu_);
  std::vector<WebhookStatus> out;
  out.reserve(hooks_.size());
  for (const auto& hook : hooks_) out.push_back(hook->status);
  return out;
}

void WebhookDispatcher::update(Hook& hook, const std::function<void(WebhookStatus&)>& change) {
  std::lock_guard lock(mu_);
  change(hook.status);
}

bool WebhookDispatcher::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !wake_.wait_for(lock, d, [this] { return stop_; });
}

void WebhookDispatcher::run(Hook& hook) {
  const auto& c = hook.config;
  protocol::HttpsClient client(hook.tls, protocol::Endpoint{c.host, c.port}, c.timeout);
  bool store_failing = false;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    auto batch = store_.list_audit_after(hook.cursor, kBatch);
    if (!batch) {
      if (!store_failing) {
        spdlog::warn("webhook {}: cannot read the audit log: {}", c.name, batch.error().describe());
      }
      store_failing = true;
      update(hook, [&](WebhookStatus& s) {
        s.state = "store_unavailable";
        s.last_error = "cannot read the audit log: " + batch.error().describe();
        s.last_error_at = relman::unix_seconds();
      });
      if (!sleep_for(idle_poll_)) return;
      continue;
    }
    if (store_failing) update(hook, [](WebhookStatus& s) { s.state = "ok"; });
    store_failing = false;
    for (const auto& entry : *batch) {
      auto event = event_from_audit(entry);
      if (hook.filter.matches(event.type) && hook.recipients.matches(event)) {
        protocol::HttpRequest req;
        req.method = "POST";
        req.target = c.target;
        req.body = to_json(event).dump();
        req.headers["content-type"] = "application/json";
        req.headers["user-agent"] = "relman-controller";
        req.headers["x-relman-event"] = event.type;
        req.headers["x-relman-delivery"] = std::to_string(event.id);
        std::string last_error;
        bool delivered = false;
        for (int attempt = 1; attempt <= c.max_attempts && !delivered; ++attempt) {
          // Signed at each attempt: the timestamp says when this copy was sent.
          req.headers["x-relman-signature"] =
              webhook_signature(c.secret, relman::unix_seconds(), req.body);
          auto res = client.request(req, 64 * 1024);
          if (res && res->status >= 200 && res->status < 300) {
            delivered = true;
            // The cursor moves in the same status update as the counter, so a reader never
            // sees an event counted as delivered while the cursor still points before it.
            update(hook, [&](WebhookStatus& s) {
              s.state = "ok";
              s.retrying_event = 0;
              ++s.delivered;
              s.last_delivered_at = relman::unix_seconds();
              s.cursor = event.id;
            });
            if (attempt > 1) {
              spdlog::info("webhook {}: event {} delivered at attempt {}", c.name, event.id,
                           attempt);
            }
            break;
          }
          last_error = res ? "HTTP " + std::to_string(res->status) : res.error().describe();
          update(hook, [&](WebhookStatus& s) {
            s.state = "retrying";
            s.retrying_event = event.id;
            ++s.failed_attempts;
            s.last_error = "event " + std::to_string(event.id) + " attempt " +
                           std::to_string(attempt) + ": " + last_error;
            s.last_error_at = relman::unix_seconds();
          });
          spdlog::warn("webhook {}: event {} ({}) attempt {}/{} failed: {}", c.name, event.id,
                       event.type, attempt, c.max_attempts, last_error);
          if (attempt < c.max_attempts && !sleep_for(webhook_backoff(attempt))) return;
        }
        if (!delivered) {
          update(hook, [&](WebhookStatus& s) {
            s.state = "ok";
            s.retrying_event = 0;
            ++s.given_up;
            s.cursor = event.id;
          });
          spdlog::error("webhook {}: gave up on event {} ({}) after {} attempts; last error: {}",
                        c.name, event.id, event.type, c.max_attempts, last_error);
        }
      }
      hook.cursor = event.id;
      update(hook, [&](WebhookStatus& s) { s.cursor = event.id; });
      if (auto w = write_cursor(hook.cursor_file, hook.cursor); !w) {
        spdlog::error("webhook {}: {}", c.name, w.error().describe());
      }
    }
    if (static_cast<std::int64_t>(batch->size()) < kBatch && !sleep_for(idle_poll_)) return;
  }
}

}  // namespace relman::controller
