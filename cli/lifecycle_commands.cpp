// relman release transition|history|executions|note and relman package history: the release
// lifecycle and the audit trails of releases and DML versions, over the REST API.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/api_client.hpp"
#include "cli/api_commands.hpp"
#include "cli/commands.hpp"
#include "cli/json_view.hpp"
#include "cli/session.hpp"

namespace relman::cli {
namespace {

using nlohmann::json;

std::string joined(const json& list) {
  std::string out;
  for (const auto& v : list.is_array() ? list : json::array()) {
    out += (out.empty() ? "" : ", ") + (v.is_string() ? printable(v.get<std::string>()) : "?");
  }
  return out;
}

// ---- history (releases and packages) ----

struct HistoryOptions {
  ConnectionOptions conn;
  std::string id;
  bool json = false;
};

// What an audit entry's detail says in a few words: from -> to, and the reason or comment.
std::string detail_summary(const json& e) {
  const json* d = field(e, "detail");
  if (d == nullptr || !d->is_object()) return "";
  std::string out;
  if (d->contains("from") && d->contains("to")) {
    out = text(*d, "from") + " -> " + text(*d, "to");
  } else if (d->contains("before") && d->contains("after") && (*d)["before"].is_string()) {
    out = text(*d, "before") + " -> " + text(*d, "after");
  }
  for (const char* key : {"reason", "comment", "description"}) {
    if (const json* v = field(*d, key); v != nullptr && v->is_string() && !v->empty()) {
      out += (out.empty() ? "" : "; ") + text(*d, key);
    }
  }
  // A release transition's reasons are field changes (unresolved_reason, cancellation_reason..).
  for (const auto& c : array_of(*d, "changes")) {
    const std::string name = text(c, "field");
    if (name.find("reason") != std::string::npos && !text(c, "after").empty()) {
      out += (out.empty() ? "" : "; ") + text(c, "after");
    }
  }
  return out;
}

void run_history(const std::string& what, const HistoryOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto items = api->list("/api/v1/" + what + "/" + percent_encode(o.id) + "/history");
  if (!items) return report_error(status, items.error());
  if (o.json) return print_json(json{{"items", *items}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : *items) {
    rows.push_back({time_text(e, "at"), text(e, "actor"), text(e, "action"), detail_summary(e)});
  }
  print_table({"AT", "ACTOR", "ACTION", "WHAT"}, rows);
}

// ---- transitions ----

struct TransitionOptions {
  ConnectionOptions conn;
  std::string id;
  std::string action;
  std::string reason;
  std::string comment;
  std::string justification;
  std::int64_t release_date = 0;
  std::string solution_category;
  std::string closure_text;
  std::string to;  // user:NAME or group:NAME (delegate, share)
  bool json = false;
};

// "user:eve" / "group:ops" as the API's principal.
Result<json> principal(const std::string& spec) {
  auto colon = spec.find(':');
  const std::string kind = colon == std::string::npos ? "" : spec.substr(0, colon);
  if ((kind != "user" && kind != "group") || colon + 1 >= spec.size()) {
    return fail("cli.invalid_option",
                "--to must be user:NAME or group:NAME, not '" + printable(spec) + "'");
  }
  return json{{"kind", kind}, {"name", spec.substr(colon + 1)}};
}

void run_transition(const TransitionOptions& o, CommandStatus& status) {
  json body{{"action", o.action}};
  if (!o.to.empty()) {
    auto who = principal(o.to);
    if (!who) return report_error(status, who.error());
    body[o.action == "share" ? "with" : "to"] = *who;
  }
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  const std::string path = "/api/v1/releases/" + percent_encode(o.id);
  // The transition is made against the version read now: if someone else changes the release
  // in between, the controller refuses it (release.version_conflict) instead of guessing.
  auto current = api->call("GET", path);
  if (!current) return report_error(status, current.error());
  body["expected_version"] = integer(*current, "version").value_or(0);
  for (const auto& [key, value] : {std::pair{"reason", &o.reason},
                                   {"comment", &o.comment},
                                   {"justification", &o.justification},
                                   {"solution_category", &o.solution_category},
                                   {"closure_text", &o.closure_text}}) {
    if (!value->empty()) body[key] = *value;
  }
  if (o.release_date > 0) body["release_date"] = o.release_date;
  auto r = api->call("POST", path + "/transitions", body);
  if (!r) return report_error(status, r.error());
  if (o.json) return print_json(*r);
  const auto next = joined((*r)["allowed_actions"]);
  std::cout << "release " << text(*r, "number") << " is now " << text(*r, "state") << " (version "
            << text(*r, "version") << "); next: " << (next.empty() ? "none" : next) << "\n";
}

// ---- execution records ----

void run_executions(const HistoryOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto r = api->call("GET", "/api/v1/releases/" + percent_encode(o.id) + "/executions");
  if (!r) return report_error(status, r.error());
  if (o.json) return print_json(*r);
  const auto& items = array_of(*r, "items");
  if (items.empty()) {
    std::cout << "no executions yet\n";
    return;
  }
  for (const auto& e : items) {
    std::cout << "execution " << text(e, "number") << ": started " << time_text(e, "started_at")
              << " by " << text(e, "started_by") << " (" << text(e, "started_with") << ")";
    if (const json* ended = field(e, "ended_at"); ended != nullptr && !ended->is_null()) {
      std::cout << ", ended " << time_text(e, "ended_at") << " by " << text(e, "ended_by") << ": "
                << text(e, "outcome");
    } else {
      std::cout << ", running";
    }
    std::cout << "; " << text(e, "minutes_spent") << " min\n";
    for (const auto& n : array_of(e, "notes")) {
      std::cout << "  " << time_text(n, "at") << " " << text(n, "author") << " ("
                << text(n, "minutes_spent") << " min): " << text(n, "description") << "\n";
    }
  }
}

struct NoteOptions {
  ConnectionOptions conn;
  std::string id;
  std::string description;
  std::int64_t minutes = 0;
  bool json = false;
};

void run_note(const NoteOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  json body{{"description", o.description}, {"minutes_spent", o.minutes}};
  auto r = api->call("POST", "/api/v1/releases/" + percent_encode(o.id) + "/execution-notes", body);
  if (!r) return report_error(status, r.error());
  if (o.json) return print_json(*r);
  std::cout << "noted on execution " << text(*r, "execution") << " of release " << o.id << " ("
            << text(*r, "minutes_spent") << " min)\n";
}

void add_history(CLI::App* group, const std::string& what, const std::string& help,
                 CommandStatus& status) {
  auto opts = std::make_shared<HistoryOptions>();
  auto* cmd = group->add_subcommand("history", help);
  add_connection_options(cmd, opts->conn);
  cmd->add_option("ID", opts->id, "Id (a number)")->required();
  cmd->add_flag("--json", opts->json, "Print the API's JSON");
  cmd->callback([what, opts, &status] { run_history(what, *opts, status); });
}

}  // namespace

void add_lifecycle_commands(CLI::App& app, CommandStatus& status) {
  auto* package = app.get_subcommand("package");
  auto* release = app.get_subcommand("release");
  add_history(package, "packages",
              "A version's DML history: upload, test, authorize, revoke, who and why", status);
  add_history(release, "releases", "A release's audit entries, oldest first", status);

  auto t = std::make_shared<TransitionOptions>();
  auto* transition = release->add_subcommand(
      "transition",
      "One lifecycle step (authorize, start_execution, submit_for_test, "
      "submit_for_homologation, approve, reject, solve, mark_unresolved, new_execution, close, "
      "suspend, reactivate, cancel, reopen, capture, delegate, share); made against the "
      "release's current version");
  add_connection_options(transition, t->conn);
  transition->add_option("ID", t->id, "Release id (a number)")->required();
  transition->add_option("ACTION", t->action, "The action")->required();
  transition->add_option("--reason", t->reason, "mark_unresolved, cancel, reopen, suspend");
  transition->add_option("--comment", t->comment, "Any action; the vote comment for reject");
  transition->add_option("--justification", t->justification,
                         "suspend: awaiting_requester, awaiting_supplier, change_freeze, "
                         "resources_unavailable or priority_changed");
  transition->add_option("--release-date", t->release_date, "solve: unix seconds")
      ->check(CLI::PositiveNumber);
  transition->add_option("--solution-category", t->solution_category, "solve");
  transition->add_option("--closure-text", t->closure_text, "solve");
  transition->add_option("--to", t->to, "delegate/share: user:NAME or group:NAME");
  transition->add_flag("--json", t->json, "Print the API's JSON");
  transition->callback([t, &status] { run_transition(*t, status); });

  auto e = std::make_shared<HistoryOptions>();
  auto* executions = release->add_subcommand(
      "executions", "The release's executions: who ran them, the outcome and the notes");
  add_connection_options(executions, e->conn);
  executions->add_option("ID", e->id, "Release id (a number)")->required();
  executions->add_flag("--json", e->json, "Print the API's JSON");
  executions->callback([e, &status] { run_executions(*e, status); });

  auto n = std::make_shared<NoteOptions>();
  auto* note = release->add_subcommand(
      "note", "Write down what was done in the running execution (needs the execute permission)");
  add_connection_options(note, n->conn);
  note->add_option("ID", n->id, "Release id (a number)")->required();
  note->add_option("--description", n->description, "What was done")->required();
  note->add_option("--minutes", n->minutes, "Minutes spent (0 to 525600)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{525600}));
  note->add_flag("--json", n->json, "Print the API's JSON");
  note->callback([n, &status] { run_note(*n, status); });
}

}  // namespace relman::cli
