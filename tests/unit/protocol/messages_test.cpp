#include "protocol/messages.hpp"

#include <gtest/gtest.h>

#include <string>

#include "protocol/base64.hpp"
#include "protocol/json_limits.hpp"

namespace relman::protocol {
namespace {

using nlohmann::json;

const std::string kSha(64, 'a');
const std::string kOtherSha(64, '0');

DeployOrder sample_order() {
  DeployOrder o;
  o.order_id = "ord-1";
  o.deployment_id = 7;
  o.host_id = "web-01";
  o.package_name = "billing";
  o.package_version = "2.4.1";
  o.package_sha256 = kSha;
  o.manifest_sha256 = kOtherSha;
  o.package_size = 123456;
  o.download_path = "/api/v1/agent/packages/" + kSha;
  o.issued_at = 1700000000;
  o.expires_at = 1700003600;
  o.allow_downgrade = false;
  return o;
}

DeployOrderMessage sample_order_message() {
  DeployOrderMessage m;
  m.order = sample_order();
  m.key_id = std::string(64, 'f');
  m.signature = base64_encode(std::string(64, '\x5a'));
  return m;
}

// A valid wire object of each type, for tests that break one field.
json wire(const Message& m) { return json::parse(encode_message(m)); }

Error decode_error(const json& j) {
  auto r = decode_message(j.dump());
  EXPECT_FALSE(r.has_value()) << j.dump();
  return r ? Error{} : r.error();
}

void expect_refused(const json& j, const std::string& code, const std::string& context) {
  Error e = decode_error(j);
  EXPECT_EQ(e.code, code) << e.describe() << " for " << j.dump();
  EXPECT_EQ(e.context, context) << e.describe() << " for " << j.dump();
}

template <class T>
T round_trip(const T& in) {
  Message m = in;
  auto text = encode_message(m);
  auto back = decode_message(text);
  EXPECT_TRUE(back.has_value()) << (back ? "" : back.error().describe()) << " in " << text;
  if (!back) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*back));
  EXPECT_EQ(message_type(*back), message_type(m));
  return std::get<T>(*back);
}

// ---- round trips ---------------------------------------------------------------------------

TEST(Messages, HelloRoundTrips) {
  Hello in{"web-01", "0.1.0", {1, 2}};
  auto out = round_trip(in);
  EXPECT_EQ(out.agent_id, "web-01");
  EXPECT_EQ(out.agent_version, "0.1.0");
  EXPECT_EQ(out.protocol_versions, (std::vector<int>{1, 2}));
  EXPECT_EQ(wire(in)["type"], "hello");
}

TEST(Messages, HelloAckRoundTrips) {
  auto out = round_trip(HelloAck{1, "0.1.0"});
  EXPECT_EQ(out.protocol_version, 1);
  EXPECT_EQ(out.controller_version, "0.1.0");
}

TEST(Messages, InventoryRoundTrips) {
  InventoryReport in;
  in.hostname = "web-01.example.org";
  in.os_id = "debian";
  in.os_version = "12";
  in.os_pretty = "Debian GNU/Linux 12 (bookworm)";
  in.kernel = "6.1.0-18-amd64";
  in.architecture = "x86_64";
  in.cpu_model = "";
  in.cpu_count = 8;
  in.memory_mb = 32000;
  in.facts = {{"disks", json::array({{{"name", "sda"}, {"size_gb", 512}}})}};
  in.hash = kSha;
  auto out = round_trip(in);
  EXPECT_EQ(out.hostname, in.hostname);
  EXPECT_EQ(out.os_id, in.os_id);
  EXPECT_EQ(out.os_version, in.os_version);
  EXPECT_EQ(out.os_pretty, in.os_pretty);
  EXPECT_EQ(out.kernel, in.kernel);
  EXPECT_EQ(out.architecture, in.architecture);
  EXPECT_EQ(out.cpu_model, "");
  EXPECT_EQ(out.cpu_count, 8);
  EXPECT_EQ(out.memory_mb, 32000);
  EXPECT_EQ(out.facts, in.facts);
  EXPECT_EQ(out.hash, kSha);
}

TEST(Messages, InventoryDocumentIsTheReportWithoutTypeAndHash) {
  InventoryReport in{"h", "debian", "12", "", "6.1", "x86_64", "", 1, 1, json::object(), kSha};
  auto doc = inventory_document(in);
  EXPECT_FALSE(doc.contains("hash"));
  EXPECT_FALSE(doc.contains("type"));
  EXPECT_EQ(doc["hostname"], "h");
  EXPECT_TRUE(doc["facts"].is_object());
  // The controller rebuilds the same document from what it decodes.
  auto back = decode_message(encode_message(in));
  ASSERT_TRUE(back);
  EXPECT_EQ(*inventory_hash(inventory_document(std::get<InventoryReport>(*back))),
            *inventory_hash(doc));
}

TEST(Messages, InventoryDeltaRoundTrips) {
  InventoryDelta in;
  in.base_hash = kOtherSha;
  in.hash = kSha;
  in.changes.set = {{"/facts/memory/available_mib", 12}};
  in.changes.unset = {"/facts/rpm"};
  in.changes.items = {{"/facts/software/dpkg/packages",
                       {{{"name", "htop"}, {"architecture", "amd64"}, {"version", "3"}}},
                       {},
                       {}}};
  auto out = round_trip(in);
  EXPECT_EQ(out.base_hash, kOtherSha);
  EXPECT_EQ(out.hash, kSha);
  EXPECT_EQ(out.changes.entry_count(), 3u);
  EXPECT_EQ(out.changes.items.at(0).added.at(0)["name"], "htop");
  EXPECT_EQ(wire(in)["type"], "inventory_delta");
}

TEST(Messages, InventoryAckAndRequestRoundTrip) {
  EXPECT_EQ(round_trip(InventoryAck{kSha}).hash, kSha);
  auto req = round_trip(InventoryRequest{true, "inventory.base_mismatch"});
  EXPECT_TRUE(req.full);
  EXPECT_EQ(req.reason, "inventory.base_mismatch");
  EXPECT_FALSE(round_trip(InventoryRequest{}).full);
  auto bare = decode_message(R"({"type": "inventory_request"})");
  ASSERT_TRUE(bare) << bare.error().describe();
  EXPECT_FALSE(std::get<InventoryRequest>(*bare).full);
}

TEST(Messages, DeployOrderRoundTrips) {
  auto in = sample_order_message();
  auto out = round_trip(in);
  EXPECT_EQ(to_json(out.order), to_json(in.order));
  EXPECT_EQ(out.key_id, in.key_id);
  EXPECT_EQ(out.signature, in.signature);
  json j = wire(in);
  EXPECT_EQ(j["type"], "deploy_order");
  EXPECT_TRUE(j["order"].is_object());
  EXPECT_EQ(j["order"]["host_id"], "web-01");
}

TEST(Messages, DeployProgressRoundTrips) {
  for (auto phase : kDeployPhases) {
    DeployProgress in{"ord-1", 7, std::string(phase), 10, 100};
    auto out = round_trip(in);
    EXPECT_EQ(out.order_id, "ord-1");
    EXPECT_EQ(out.deployment_id, 7);
    EXPECT_EQ(out.phase, phase);
    EXPECT_EQ(out.bytes_done, 10);
    EXPECT_EQ(out.bytes_total, 100);
  }
}

TEST(Messages, DeployResultRoundTrips) {
  auto ok_out = round_trip(DeployResult{"ord-1", 7, "succeeded", "", "installed", "2.4.1", "", ""});
  EXPECT_EQ(ok_out.status, "succeeded");
  EXPECT_EQ(ok_out.installed_version, "2.4.1");
  auto failed =
      round_trip(DeployResult{"ord-1", 7, "failed", "order.wrong_host", "no", "", "", ""});
  EXPECT_EQ(failed.status, "failed");
  EXPECT_EQ(failed.code, "order.wrong_host");
  EXPECT_EQ(failed.message, "no");
}

TEST(Messages, HeartbeatRoundTrips) {
  EXPECT_EQ(round_trip(Heartbeat{1700000000123}).sent_at, 1700000000123);
}

TEST(Messages, ErrorRoundTrips) {
  auto out = round_trip(ErrorMessage{"gateway.agent_mismatch", "agent id differs"});
  EXPECT_EQ(out.code, "gateway.agent_mismatch");
  EXPECT_EQ(out.message, "agent id differs");
}

TEST(Messages, WireFieldNamesAreTheMemberNames) {
  json j = wire(DeployProgress{"ord-1", 7, "queued", 0, 0});
  for (const char* key :
       {"type", "order_id", "deployment_id", "phase", "bytes_done", "bytes_total"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.size(), 6u);
}

// ---- envelope refusals ---------------------------------------------------------------------

TEST(MessagesDecode, RefusesOversizedFrame) {
  std::string text = R"({"type":"heartbeat","sent_at":1,"pad":")";
  text += std::string(kMaxFrameBytes, 'x');
  text += "\"}";
  auto r = decode_message(text);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "protocol.frame_too_large");
  EXPECT_EQ(r.error().context, "message");
}

TEST(MessagesDecode, RefusesMalformedJson) {
  auto r = decode_message(R"({"type":"heartbeat",)");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "protocol.malformed_json");
  EXPECT_EQ(r.error().context, "message");
}

TEST(MessagesDecode, RefusesNonObject) {
  for (const char* text : {"[]", "42", "\"hello\"", "null"}) {
    auto r = decode_message(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, "protocol.not_an_object") << text;
    EXPECT_EQ(r.error().context, "message") << text;
  }
}

TEST(MessagesDecode, RefusesMissingType) {
  expect_refused(json{{"sent_at", 1}}, "protocol.missing_field", "type");
}

TEST(MessagesDecode, RefusesTypeOfWrongType) {
  expect_refused(json{{"type", 3}}, "protocol.wrong_type", "type");
}

TEST(MessagesDecode, RefusesUnknownType) {
  expect_refused(json{{"type", "reboot_now"}}, "protocol.unknown_type", "type");
}

TEST(MessagesDecode, NeverThrowsOnGarbage) {
  for (const char* text : {"", "{", "}", "{\"type\":", "\xff\xfe", "{\"type\":\"hello\"}"}) {
    EXPECT_NO_THROW({
      auto r = decode_message(text);
      EXPECT_FALSE(r) << text;
    });
  }
}

// ---- hello ---------------------------------------------------------------------------------

TEST(MessagesDecode, HelloIgnoresUnknownFields) {
  json j = wire(Hello{"web-01", "0.1.0", {1}});
  j["future_field"] = {{"anything", true}};
  auto r = decode_message(j.dump());
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(std::get<Hello>(*r).agent_id, "web-01");
}

TEST(MessagesDecode, HelloRefusesMissingAgentId) {
  json j = wire(Hello{"web-01", "0.1.0", {1}});
  j.erase("agent_id");
  expect_refused(j, "protocol.missing_field", "agent_id");
}

TEST(MessagesDecode, HelloRefusesEmptyAgentId) {
  expect_refused(wire(Hello{"", "0.1.0", {1}}), "protocol.empty_field", "agent_id");
}

TEST(MessagesDecode, HelloRefusesOverlongAgentId) {
  expect_refused(wire(Hello{std::string(kMaxIdLength + 1, 'a'), "0.1.0", {1}}), "protocol.too_long",
                 "agent_id");
}

TEST(MessagesDecode, HelloRefusesVersionsOfWrongType) {
  json j = wire(Hello{"web-01", "0.1.0", {1}});
  j["protocol_versions"] = "1";
  expect_refused(j, "protocol.wrong_type", "protocol_versions");
  j["protocol_versions"] = json::array({1, "2"});
  expect_refused(j, "protocol.wrong_type", "protocol_versions[1]");
}

TEST(MessagesDecode, HelloRefusesNoVersions) {
  expect_refused(wire(Hello{"web-01", "0.1.0", {}}), "protocol.invalid_value", "protocol_versions");
}

TEST(MessagesDecode, HelloRefusesTooManyVersions) {
  std::vector<int> many(17, 1);
  expect_refused(wire(Hello{"web-01", "0.1.0", many}), "protocol.too_many_items",
                 "protocol_versions");
}

TEST(MessagesDecode, HelloRefusesVersionOutOfRange) {
  expect_refused(wire(Hello{"web-01", "0.1.0", {1, 0}}), "protocol.out_of_range",
                 "protocol_versions[1]");
  expect_refused(wire(Hello{"web-01", "0.1.0", {1001}}), "protocol.out_of_range",
                 "protocol_versions[0]");
}

// ---- other messages ------------------------------------------------------------------------

TEST(MessagesDecode, HelloAckRefusesVersionOutOfRange) {
  expect_refused(wire(HelloAck{0, "0.1.0"}), "protocol.out_of_range", "protocol_version");
}

TEST(MessagesDecode, InventoryRefusesFactsThatAreNotAnObject) {
  json j =
      wire(InventoryReport{"h", "debian", "", "", "6.1", "x86_64", "", 1, 1, json::object(), kSha});
  j["facts"] = json::array();
  expect_refused(j, "protocol.wrong_type", "facts");
}

TEST(MessagesDecode, InventoryNeedsOnlyAHostname) {
  auto unknown = decode_message(
      encode_message(InventoryReport{"h", "", "", "", "", "", "", 0, 0, json::object(), kSha}));
  ASSERT_TRUE(unknown) << unknown.error().describe();
  auto nameless = decode_message(encode_message(
      InventoryReport{"", "debian", "", "", "", "", "", 0, 0, json::object(), kSha}));
  ASSERT_FALSE(nameless);
  EXPECT_EQ(nameless.error().code, "protocol.empty_field");
  EXPECT_EQ(nameless.error().context, "hostname");
}

TEST(MessagesDecode, InventoryAcceptsMissingFacts) {
  json j =
      wire(InventoryReport{"h", "debian", "", "", "6.1", "x86_64", "", 1, 1, json::object(), kSha});
  j.erase("facts");
  auto r = decode_message(j.dump());
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(std::get<InventoryReport>(*r).facts.is_object());
}

TEST(MessagesDecode, InventoryRefusesOversizedReport) {
  InventoryReport in{"h", "debian", "", "", "6.1", "x86_64", "", 1, 1, json::object(), kSha};
  in.facts = {{"blob", std::string(kMaxInventoryBytes, 'x')}};
  auto r = decode_message(encode_message(in));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "protocol.frame_too_large");
  EXPECT_EQ(r.error().context, "inventory");
}

TEST(MessagesDecode, InventoryNeedsAHash) {
  json j =
      wire(InventoryReport{"h", "debian", "", "", "6.1", "x86_64", "", 1, 1, json::object(), kSha});
  j.erase("hash");
  expect_refused(j, "protocol.missing_field", "hash");
  j["hash"] = "ABC";
  expect_refused(j, "protocol.invalid_value", "hash");
}

TEST(MessagesDecode, InventoryDeltaRefusesBadHashesAndChanges) {
  InventoryDelta in{kOtherSha, kSha, {}};
  json j = wire(in);
  j.erase("base_hash");
  expect_refused(j, "protocol.missing_field", "base_hash");
  j = wire(in);
  j["hash"] = std::string(64, 'G');
  expect_refused(j, "protocol.invalid_value", "hash");
  j = wire(in);
  j["set"] = {{{"path", "no-slash"}, {"value", 1}}};
  expect_refused(j, "protocol.invalid_value", "set[0].path");
}

TEST(MessagesDecode, InventoryDeltaRefusesOversizedDelta) {
  InventoryDelta in{kOtherSha, kSha, {}};
  in.changes.set = {{"/facts/blob", std::string(kMaxInventoryBytes, 'x')}};
  auto r = decode_message(encode_message(in));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "protocol.frame_too_large");
}

TEST(MessagesDecode, InventoryAckNeedsAHash) {
  expect_refused(json{{"type", "inventory_ack"}}, "protocol.missing_field", "hash");
  expect_refused(json{{"type", "inventory_request"}, {"full", "yes"}}, "protocol.wrong_type",
                 "full");
}

TEST(MessagesDecode, InventoryRefusesNegativeMemory) {
  expect_refused(wire(InventoryReport{"h", "debian", "", "", "6.1", "x86_64", "", 1, -1,
                                      json::object(), kSha}),
                 "protocol.out_of_range", "memory_mb");
}

TEST(MessagesDecode, ProgressRefusesUnknownPhase) {
  expect_refused(wire(DeployProgress{"ord-1", 7, "dancing", 0, 0}), "protocol.invalid_value",
                 "phase");
}

TEST(MessagesDecode, ResultRefusesUnknownStatus) {
  expect_refused(wire(DeployResult{"ord-1", 7, "maybe", "", "", "", "", ""}),
                 "protocol.invalid_value", "status");
}

TEST(MessagesDecode, ResultRefusesFailureWithoutCode) {
  expect_refused(wire(DeployResult{"ord-1", 7, "failed", "", "", "", "", ""}),
                 "protocol.invalid_value", "code");
}

TEST(MessagesDecode, ResultRefusesOverlongMessage) {
  expect_refused(
      wire(DeployResult{"ord-1", 7, "failed", "x.y", std::string(4097, 'm'), "", "", ""}),
      "protocol.too_long", "message");
  EXPECT_TRUE(decode_message(encode_message(
      DeployResult{"ord-1", 7, "failed", "x.y", std::string(4096, 'm'), "", "", ""})));
}

TEST(MessagesDecode, HeartbeatRefusesNegativeTime) {
  expect_refused(wire(Heartbeat{-1}), "protocol.out_of_range", "sent_at");
}

TEST(MessagesDecode, HeartbeatRefusesFloatTime) {
  expect_refused(json{{"type", "heartbeat"}, {"sent_at", 1.5}}, "protocol.wrong_type", "sent_at");
}

TEST(MessagesDecode, ErrorRefusesMissingCode) {
  expect_refused(json{{"type", "error"}, {"message", "x"}}, "protocol.missing_field", "code");
}

// ---- deploy order --------------------------------------------------------------------------

TEST(MessagesDecode, OrderRefusesUnknownFieldInsideOrder) {
  json j = wire(sample_order_message());
  j["order"]["run_as_root"] = true;
  expect_refused(j, "protocol.unknown_field", "order.run_as_root");
}

TEST(MessagesDecode, OrderEnvelopeIgnoresUnknownFields) {
  json j = wire(sample_order_message());
  j["trace_id"] = "abc";
  EXPECT_TRUE(decode_message(j.dump()));
}

TEST(MessagesDecode, OrderRefusesMissingOrder) {
  json j = wire(sample_order_message());
  j.erase("order");
  expect_refused(j, "protocol.missing_field", "order");
}

TEST(MessagesDecode, OrderRefusesOrderThatIsNotAnObject) {
  json j = wire(sample_order_message());
  j["order"] = "signed";
  expect_refused(j, "protocol.wrong_type", "order");
}

TEST(MessagesDecode, OrderRefusesEachMissingField) {
  const json order = to_json(sample_order());
  for (const auto& [key, value] : order.items()) {
    json j = wire(sample_order_message());
    j["order"].erase(key);
    expect_refused(j, "protocol.missing_field", "order." + key);
  }
}

TEST(MessagesDecode, OrderRefusesFieldsOfWrongType) {
  json j = wire(sample_order_message());
  j["order"]["deployment_id"] = "7";
  expect_refused(j, "protocol.wrong_type", "order.deployment_id");
  j = wire(sample_order_message());
  j["order"]["allow_downgrade"] = 1;
  expect_refused(j, "protocol.wrong_type", "order.allow_downgrade");
  j = wire(sample_order_message());
  j["order"]["host_id"] = json::array();
  expect_refused(j, "protocol.wrong_type", "order.host_id");
}

TEST(MessagesDecode, OrderRefusesBadSha256) {
  auto m = sample_order_message();
  m.order.package_sha256 = std::string(64, 'A');
  expect_refused(wire(m), "protocol.invalid_value", "order.package_sha256");
  m = sample_order_message();
  m.order.manifest_sha256 = std::string(63, 'a');
  expect_refused(wire(m), "protocol.invalid_value", "order.manifest_sha256");
  m = sample_order_message();
  m.order.manifest_sha256 = std::string(65, 'a');
  expect_refused(wire(m), "protocol.too_long", "order.manifest_sha256");
}

TEST(MessagesDecode, OrderRefusesDownloadPathOutsideAgentApi) {
  for (std::string path : {"/api/v1/admin/packages/1", "https://evil.example/p",
                           "/api/v1/agent/../admin/x", "/api/v1/agent/p q", "/api/v1/agent/"}) {
    auto m = sample_order_message();
    m.order.download_path = path;
    expect_refused(wire(m), "protocol.invalid_value", "order.download_path");
  }
}

TEST(MessagesDecode, OrderRefusesExpiryNotAfterIssue) {
  auto m = sample_order_message();
  m.order.expires_at = m.order.issued_at;
  expect_refused(wire(m), "protocol.invalid_value", "order.expires_at");
}

TEST(MessagesDecode, OrderRefusesEmptyAndOverlongIds) {
  auto m = sample_order_message();
  m.order.order_id = "";
  expect_refused(wire(m), "protocol.empty_field", "order.order_id");
  m = sample_order_message();
  m.order.package_name = std::string(kMaxIdLength + 1, 'p');
  expect_refused(wire(m), "protocol.too_long", "order.package_name");
}

TEST(MessagesDecode, OrderRefusesBadKeyIdAndSignature) {
  auto m = sample_order_message();
  m.key_id = "ABC";
  expect_refused(wire(m), "protocol.invalid_value", "key_id");
  m = sample_order_message();
  m.signature = base64_encode("short");
  expect_refused(wire(m), "protocol.invalid_value", "signature");
  m = sample_order_message();
  m.signature.clear();
  expect_refused(wire(m), "protocol.empty_field", "signature");
}

TEST(DeployOrderJson, FromJsonIsStrictAndNamesFields) {
  json j = to_json(sample_order());
  auto ok_order = deploy_order_from_json(j);
  ASSERT_TRUE(ok_order) << ok_order.error().describe();
  EXPECT_EQ(to_json(*ok_order), j);
  j["extra"] = 1;
  auto r = deploy_order_from_json(j);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "protocol.unknown_field");
  EXPECT_EQ(r.error().context, "order.extra");
}

TEST(DeployOrderJson, FromJsonRefusesNonObject) {
  auto r = deploy_order_from_json(json::array());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "protocol.not_an_object");
  EXPECT_EQ(r.error().context, "order");
}

// ---- version negotiation -------------------------------------------------------------------

TEST(NegotiateVersion, PicksHighestCommon) {
  auto v = negotiate_version({5, kMaxProtocolVersion, kMinProtocolVersion, 999});
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, kMaxProtocolVersion);
}

TEST(NegotiateVersion, RefusesNoCommonVersion) {
  for (const auto& offered : {std::vector<int>{}, std::vector<int>{kMaxProtocolVersion + 1, 7}}) {
    auto v = negotiate_version(offered);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, "protocol.version_unsupported");
  }
}

}  // namespace
}  // namespace relman::protocol
