// docs/openapi.yaml against the routes the controller really serves: every served route is
// described, every described operation is served, and each operation documents responses.
#include <gtest/gtest.h>
#include <yaml.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>

#include "controller/api/router.hpp"
#include "controller/deploy/order_signer.hpp"
#include "controller/store/sql_store.hpp"
#include "packaging/signing.hpp"
#include "protocol/asio.hpp"
#include "tests/support/temp_dir.hpp"

namespace relman::controller {
namespace {

// A YAML document loaded with libyaml; nodes are looked up by mapping key.
class YamlDoc {
 public:
  explicit YamlDoc(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return;
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    loaded_ = yaml_parser_load(&parser, &doc_) == 1;
    if (!loaded_) error_ = parser.problem ? parser.problem : "unknown error";
    if (!loaded_) error_ += " at line " + std::to_string(parser.problem_mark.line + 1);
    yaml_parser_delete(&parser);
    std::fclose(f);
  }
  ~YamlDoc() {
    if (loaded_) yaml_document_delete(&doc_);
  }
  YamlDoc(const YamlDoc&) = delete;
  YamlDoc& operator=(const YamlDoc&) = delete;

  bool loaded() const { return loaded_; }
  const std::string& error() const { return error_; }
  yaml_node_t* root() { return yaml_document_get_root_node(&doc_); }

  std::string scalar(yaml_node_t* n) const {
    if (!n || n->type != YAML_SCALAR_NODE) return {};
    return std::string(reinterpret_cast<const char*>(n->data.scalar.value), n->data.scalar.length);
  }
  yaml_node_t* node(int index) { return yaml_document_get_node(&doc_, index); }

  // The value under `key` in a mapping node, or nullptr.
  yaml_node_t* get(yaml_node_t* map, const std::string& key) {
    if (!map || map->type != YAML_MAPPING_NODE) return nullptr;
    for (auto* p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; ++p) {
      if (scalar(node(p->key)) == key) return node(p->value);
    }
    return nullptr;
  }
  // The keys of a mapping node, in order.
  std::vector<std::string> keys(yaml_node_t* map) {
    std::vector<std::string> out;
    if (!map || map->type != YAML_MAPPING_NODE) return out;
    for (auto* p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; ++p) {
      out.push_back(scalar(node(p->key)));
    }
    return out;
  }

 private:
  yaml_document_t doc_{};
  bool loaded_ = false;
  std::string error_ = "cannot open file";
};

const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch", "head"};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "METHOD /pattern" for every operation in docs/openapi.yaml; also checks each operation.
std::set<std::string> documented_operations(YamlDoc& doc, std::vector<std::string>& problems) {
  std::set<std::string> ops;
  auto* paths = doc.get(doc.root(), "paths");
  for (const auto& path : doc.keys(paths)) {
    auto* item = doc.get(paths, path);
    for (const auto& method : doc.keys(item)) {
      if (!kMethods.contains(method)) {
        problems.push_back(path + ": '" + method + "' is not an HTTP method");
        continue;
      }
      auto* op = doc.get(item, method);
      auto* responses = doc.get(op, "responses");
      if (doc.keys(responses).empty()) problems.push_back(method + " " + path + ": no responses");
      if (doc.scalar(doc.get(op, "summary")).empty()) {
        problems.push_back(method + " " + path + ": no summary");
      }
      ops.insert(method + " " + path);
    }
  }
  return ops;
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqlStore::open_sqlite(tmp / "relman.db");
    ASSERT_TRUE(s) << s.error().describe();
    store = std::move(*s);
    dml = std::make_unique<Dml>(tmp / "dml", packaging::TrustStore{}, *store);
    signer = std::make_unique<OrderSigner>(packaging::generate_signing_key());
    gateway = std::make_unique<AgentGateway>(*store, *signer, blocking);
    config.data_dir = tmp.path();
    router = std::make_unique<Router>(config, *store, *dml, *gateway);
  }

  test::TempDir tmp;
  std::unique_ptr<SqlStore> store;
  std::unique_ptr<Dml> dml;
  std::unique_ptr<OrderSigner> signer;
  asio::thread_pool blocking{1};
  std::unique_ptr<AgentGateway> gateway;
  ControllerConfig config;
  std::unique_ptr<Router> router;
};

TEST_F(OpenApiTest, SpecAndServedRoutesAgree) {
  YamlDoc doc(std::string(RELMAN_SOURCE_DIR) + "/docs/openapi.yaml");
  ASSERT_TRUE(doc.loaded()) << "docs/openapi.yaml: " << doc.error();
  EXPECT_EQ(doc.scalar(doc.get(doc.root(), "openapi")).substr(0, 2), "3.");

  std::vector<std::string> problems;
  auto documented = documented_operations(doc, problems);
  for (const auto& p : problems) ADD_FAILURE() << "docs/openapi.yaml: " << p;

  std::set<std::string> served;
  for (const auto& r : router->routes()) served.insert(lower(r.method) + " " + r.pattern);
  ASSERT_FALSE(served.empty());

  for (const auto& op : served) {
    EXPECT_TRUE(documented.contains(op)) << "served but not in docs/openapi.yaml: " << op;
  }
  for (const auto& op : documented) {
    EXPECT_TRUE(served.contains(op)) << "in docs/openapi.yaml but not served: " << op;
  }
}

TEST_F(OpenApiTest, SessionRoutesArePublicExactlyWhenTheSpecSaysSo) {
  YamlDoc doc(std::string(RELMAN_SOURCE_DIR) + "/docs/openapi.yaml");
  ASSERT_TRUE(doc.loaded()) << doc.error();
  auto* paths = doc.get(doc.root(), "paths");
  for (const auto& r : router->routes()) {
    auto* op = doc.get(doc.get(paths, r.pattern), lower(r.method));
    if (!op) continue;  // reported by SpecAndServedRoutesAgree
    auto* security = doc.get(op, "security");
    bool spec_public = security && security->type == YAML_SEQUENCE_NODE &&
                       security->data.sequence.items.start == security->data.sequence.items.top;
    EXPECT_EQ(spec_public, r.access == Access::kPublic)
        << r.method << " " << r.pattern << ": the spec's security and the route's access differ";
  }
}

TEST_F(OpenApiTest, RoutePermissionsAreDocumentedExactly) {
  YamlDoc doc(std::string(RELMAN_SOURCE_DIR) + "/docs/openapi.yaml");
  ASSERT_TRUE(doc.loaded()) << doc.error();
  auto* paths = doc.get(doc.root(), "paths");
  int with_permission = 0;
  for (const auto& r : router->routes()) {
    auto* op = doc.get(doc.get(paths, r.pattern), lower(r.method));
    if (!op) continue;  // reported by SpecAndServedRoutesAgree
    std::string served = r.permission ? std::string(permission_name(*r.permission)) : "";
    with_permission += r.permission ? 1 : 0;
    EXPECT_EQ(doc.scalar(doc.get(op, "x-relman-permission")), served)
        << r.method << " " << r.pattern << ": x-relman-permission differs from the route's";
    if (r.permission) {
      EXPECT_NE(doc.get(doc.get(op, "responses"), "403"), nullptr)
          << r.method << " " << r.pattern << ": a permission route documents its 403";
    }
  }
  EXPECT_GT(with_permission, 0);
}

TEST(YamlDocTest, ReportsAParseErrorWithItsLine) {
  test::TempDir tmp;
  auto file = tmp / "bad.yaml";
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("paths:\n  /x: [unclosed\n", f);
  std::fclose(f);
  YamlDoc doc(file.string());
  EXPECT_FALSE(doc.loaded());
  EXPECT_NE(doc.error().find("line"), std::string::npos) << doc.error();
}

}  // namespace
}  // namespace relman::controller
