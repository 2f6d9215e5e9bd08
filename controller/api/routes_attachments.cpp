// Files attached to a release: upload (the body streamed to a file by the server, kept by
// SHA-256), list, download. Attachments are evidence (test reports, sign-offs): they are never
// changed or removed through the API, and a name is used once per release.
#include <cctype>

#include <spdlog/spdlog.h>

#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

json to_json(const AttachmentRecord& a) {
  return json{{"id", a.id},
              {"release_id", a.release_id},
              {"name", a.name},
              {"sha256", a.sha256},
              {"size", a.size},
              {"media_type", a.media_type},
              {"added_by", a.added_by},
              {"added_at", a.added_at}};
}

// RFC 6266 / RFC 8187: the name percent-encoded as UTF-8, and an ASCII fallback.
std::string content_disposition(const std::string& name) {
  std::string encoded, ascii;
  for (unsigned char c : name) {
    if (std::isalnum(c) ||
        std::string_view("-._~").find(static_cast<char>(c)) != std::string_view::npos) {
      encoded += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789ABCDEF";
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 0xf];
    }
    ascii += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? static_cast<char>(c) : '_';
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace

void add_attachment_routes(RouteTable& routes, ApiServices& s) {
  // The body arrives as a file: Router::upload_limit tells the server to stream it.
  routes.add("POST", "/releases/{id}/attachments", Permission::create, [&s](ApiCall& call) {
    auto release = existing_release_id(s, call);
    if (!release) return from_error(release.error());
    auto name = call.query.find("name");
    if (name == call.query.end()) {
      return error_response(400, "protocol.missing_field",
                            "name the file: POST /releases/{id}/attachments?name=<file name>");
    }
    if (auto c = check_attachment_name(name->second); !c) return from_error(c.error());
    std::string media_type = "application/octet-stream";
    if (auto ct = call.req.headers.find("content-type"); ct != call.req.headers.end()) {
      auto mt = normalize_media_type(ct->second);
      if (!mt) return from_error(mt.error());
      media_type = *mt;
    }
    if (call.req.body_file.empty()) {
      return error_response(400, "request.body_required", "send the file as the request body");
    }
    if (s.attachments == nullptr) {
      return error_response(500, "attachment.io", "attachments are not configured");
    }
    // A taken name is refused before the bytes are kept; the store checks again.
    auto taken = s.store.find_attachment(*release, name->second);
    if (!taken) return from_error(taken.error());
    if (*taken) {
      return error_response(409, "attachment.exists",
                            "this release has an attachment named '" + name->second +
                                "' already; attachments are kept as they are, use another name");
    }
    // Bytes first, then the record: a record never names missing bytes. Only when two uploads
    // race for one name are the loser's bytes left unreferenced (harmless; reused if sent again).
    auto blob = s.attachments->put(call.req.body_file);
    if (!blob) return from_error(blob.error());
    AttachmentRecord a;
    a.release_id = *release;
    a.name = name->second;
    a.sha256 = blob->sha256;
    a.size = static_cast<std::int64_t>(blob->size);
    a.media_type = media_type;
    auto rec = s.store.add_attachment(a, call.actor().username);
    if (!rec) return from_error(rec.error());
    spdlog::info("API: {} attached '{}' ({} bytes, {}) to release {}", call.actor().username,
                 rec->name, rec->size, rec->sha256, rec->release_id);
    return json_response(201, to_json(*rec));
  });

  routes.add("GET", "/releases/{id}/attachments", Access::kUser, [&s](ApiCall& call) {
    auto release = existing_release_id(s, call);
    if (!release) return from_error(release.error());
    auto list = s.store.list_attachments(*release, call.page);
    if (!list) return from_error(list.error());
    json items = json::array();
    for (const auto& a : *list) items.push_back(to_json(a));
    return json_response(200, page_json(items, call.page));
  });

  // The bytes, always as application/octet-stream with Content-Disposition: attachment, so a
  // browser saves them instead of rendering what a user uploaded.
  routes.add(
      "GET", "/releases/{id}/attachments/{attachment_id}", Access::kUser, [&s](ApiCall& call) {
        auto release = existing_release_id(s, call);
        if (!release) return from_error(release.error());
        auto id = parse_id(call.params["attachment_id"]);
        if (!id) {
          return error_response(400, "request.invalid_id", "attachment ids are numbers");
        }
        auto rec = s.store.get_attachment(*release, *id);
        if (!rec) return from_error(rec.error());
        if (!*rec) {
          return error_response(404, "attachment.not_found",
                                "this release has no attachment with this id");
        }
        if (s.attachments == nullptr) {
          return error_response(500, "attachment.io", "attachments are not configured");
        }
        auto path = s.attachments->path_of((*rec)->sha256);
        if (!path) {
          spdlog::error("attachment {} of release {}: {}", *id, *release, path.error().describe());
          return error_response(500, "attachment.io",
                                "the attachment's content is missing; see the log");
        }
        ApiResponse res;
        res.content_type = "application/octet-stream";
        res.file = *path;
        res.file_length = static_cast<std::uint64_t>((*rec)->size);
        res.headers["content-disposition"] = content_disposition((*rec)->name);
        res.headers["x-content-type-options"] = "nosniff";
        res.headers["x-relman-sha256"] = (*rec)->sha256;
        return res;
      });
}

}  // namespace relman::controller
