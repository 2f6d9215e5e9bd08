// Release type bodies and notification templates: unknown events and placeholders are refused
// when a type is saved (naming the template), rendering fills every placeholder and cuts long
// output at a character boundary, and a notification names every recipient once.
#include <gtest/gtest.h>

#include "controller/releases/notification.hpp"
#include "controller/releases/release_type.hpp"

namespace relman::controller {
namespace {

using nlohmann::json;

json body_with_template(const std::string& event, const std::string& subject,
                        const std::string& body = "b") {
  return json{{"name", "standard"},
              {"templates", {{event, {{"subject", subject}, {"body", body}}}}}};
}

TEST(ReleaseTypeTest, ParsesAFullType) {
  auto t = parse_release_type(
      json{{"name", "emergency"},
           {"description", "now"},
           {"executor_group", "ops"},
           {"notify_groups", {"cab", "ops", "cab"}},
           {"templates",
            {{"created", {{"subject", "{{number}}"}, {"body", "{{title}} by {{requester}}"}}},
             {"authorize", {{"subject", "ok {{number}}"}, {"body", "{{actor}}: {{state}}"}}}}}});
  ASSERT_TRUE(t) << t.error().describe();
  EXPECT_EQ(t->executor_group, "ops");
  EXPECT_EQ(t->notify_groups, (std::vector<std::string>{"cab", "ops"}));
  EXPECT_EQ(t->templates.size(), 2u);
  EXPECT_EQ(to_json(*t)["templates"]["authorize"]["body"], "{{actor}}: {{state}}");
}

TEST(ReleaseTypeTest, RefusesWhatCouldNotRender) {
  auto unknown = parse_release_type(body_with_template("created", "hi {{nmber}}"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "release_type.unknown_placeholder");
  EXPECT_EQ(unknown.error().context, "templates.created.subject");
  auto in_body = parse_release_type(body_with_template("closed", "s", "{{password}}"));
  ASSERT_FALSE(in_body);
  EXPECT_EQ(in_body.error().context, "templates.closed.body");
  auto open = parse_release_type(body_with_template("created", "hi {{number"));
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().code, "release_type.invalid_template");
  auto event = parse_release_type(body_with_template("close", "s"));
  ASSERT_FALSE(event) << "the close action's template is \"closed\"";
  EXPECT_EQ(event.error().code, "release_type.unknown_event");
  auto long_subject = parse_release_type(body_with_template("created", std::string(201, 'x')));
  ASSERT_FALSE(long_subject);
  EXPECT_EQ(long_subject.error().code, "protocol.too_long");
  auto extra = parse_release_type(json{
      {"name", "x"}, {"templates", {{"created", {{"subject", "s"}, {"body", "b"}, {"to", 1}}}}}});
  ASSERT_FALSE(extra);
  EXPECT_EQ(extra.error().code, "protocol.unknown_field");
  auto name = parse_release_type(json{{"name", "Standard Change"}});
  ASSERT_FALSE(name);
  EXPECT_EQ(name.error().code, "release_type.invalid_name");
  auto group = parse_release_type(json{{"name", "x"}, {"executor_group", "o p s"}});
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().context, "executor_group");
  auto groups = parse_release_type(json{{"name", "x"}, {"notify_groups", {1}}});
  ASSERT_FALSE(groups);
  EXPECT_EQ(groups.error().context, "notify_groups");
}

TEST(ReleaseTypeTest, APatchNeedsAFieldAndReplacesOnlyWhatItNames) {
  auto empty = parse_release_type_patch(json::object());
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, "protocol.missing_field");
  auto renamed = parse_release_type_patch(json{{"name", "other"}});
  ASSERT_FALSE(renamed) << "a type's name does not change";
  EXPECT_EQ(renamed.error().code, "protocol.unknown_field");
  auto p = parse_release_type_patch(json{{"executor_group", ""}});
  ASSERT_TRUE(p) << p.error().describe();
  ReleaseType t;
  t.name = "standard";
  t.description = "kept";
  t.executor_group = "ops";
  auto next = apply_patch(t, *p);
  EXPECT_EQ(next.executor_group, "");
  EXPECT_EQ(next.description, "kept");
}

TEST(ReleaseTypeTest, RenderingFillsPlaceholdersAndCutsAtACharacterBoundary) {
  EXPECT_EQ(render_template("{{a}}-{{b}}-{{a}}", {{"a", "x"}, {"b", "{{a}}"}}, 100), "x-{{a}}-x")
      << "values are not expanded again";
  EXPECT_EQ(render_template("{{missing}}!", {}, 100), "!");
  // "é" is two bytes: a cut after 3 bytes keeps "aé", never half of it.
  EXPECT_EQ(render_template("{{t}}", {{"t", "aééé"}}, 4), "aé");
  EXPECT_EQ(render_template("{{t}}", {{"t", std::string(100000, 'x')}}, 8000).size(), 8000u);
}

TEST(NotificationTest, NamesEveryRecipientOnceAndFallsBackToDefaults) {
  ReleaseRecord before;
  before.number = "REL-000007";
  before.fields.title = "Upgrade";
  before.lifecycle.requester = "rita";
  before.lifecycle.executor_group = "ops";
  before.lifecycle.current_responsible = {PrincipalKind::user, "rita"};
  ReleaseRecord after = before;
  after.lifecycle.state = LifecycleState::authorized;
  after.lifecycle.current_responsible = {PrincipalKind::group, "dba"};
  after.lifecycle.shared_with = {{PrincipalKind::user, "sam"}, {PrincipalKind::group, "ops"}};
  NotificationInput in;
  in.before = &before;
  in.after = &after;
  in.action = "delegate";
  in.actor = "max";
  in.subscribed_groups = {"watchers", "ops"};
  auto n = release_notification(in);
  EXPECT_EQ(n["template"], "default");
  EXPECT_EQ(n["subject"], "REL-000007 delegate: authorized");
  EXPECT_EQ(n["recipients"]["users"], json({"rita", "sam"}));
  EXPECT_EQ(n["recipients"]["groups"], json({"dba", "ops", "watchers"}));

  ReleaseType type;
  type.templates["delegate"] = {"to {{executor_group}}", "{{actor}}"};
  type.notify_groups = {"cab"};
  in.type = &type;
  n = release_notification(in);
  EXPECT_EQ(n["template"], "type");
  EXPECT_EQ(n["subject"], "to ops");
  EXPECT_EQ(n["recipients"]["groups"], json({"cab", "dba", "ops", "watchers"}));
  in.action = "authorize";  // no template of its own, no "transition": the default
  EXPECT_EQ(release_notification(in)["template"], "default");
}

}  // namespace
}  // namespace relman::controller
