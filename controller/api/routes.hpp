// The REST API's routes, one registration function per domain (api/routes_<domain>.cpp).
// A new domain adds a file and a line in Router's constructor.
#pragma once

#include "controller/api/route_table.hpp"
#include "controller/config.hpp"
#include "controller/dml/dml.hpp"
#include "controller/events/webhook_dispatcher.hpp"
#include "controller/gateway/agent_gateway.hpp"
#include "controller/releases/attachment_store.hpp"
#include "controller/store/store.hpp"

namespace relman::controller {

// What handlers use; owned by the controller, outliving the router.
struct ApiServices {
  const ControllerConfig& config;
  Store& store;
  Dml& dml;
  AgentGateway& gateway;
  const WebhookDispatcher* webhooks = nullptr;  // null: no webhooks configured
  AttachmentStore* attachments = nullptr;       // null: attachments refused (500)
};

// The `{id}` of a /releases/{id}/... route when that release exists: request.invalid_id (400)
// or release.not_found (404) otherwise.
Result<std::int64_t> existing_release_id(ApiServices& s, ApiCall& call);

void add_session_routes(RouteTable& routes, ApiServices& services);         // health, auth/*
void add_package_routes(RouteTable& routes, ApiServices& services);         // packages, agent/*
void add_release_routes(RouteTable& routes, ApiServices& services);         // releases/*
void add_release_record_routes(RouteTable& routes, ApiServices& services);  // releases, lifecycle
void add_attachment_routes(RouteTable& routes, ApiServices& services);  // releases/{id}/attachments
void add_access_routes(RouteTable& routes, ApiServices& services);      // users, groups
void add_deployment_routes(RouteTable& routes, ApiServices& services);  // deployments/*
void add_plan_routes(RouteTable& routes, ApiServices& services);        // releases/{id}/plan
void add_host_routes(RouteTable& routes, ApiServices& services);        // hosts/*
void add_rollback_routes(RouteTable& routes, ApiServices& services);    // deployments/{id}/rollback
void add_audit_routes(RouteTable& routes, ApiServices& services);       // audit
void add_event_routes(RouteTable& routes, ApiServices& services);  // events, notifications (pages)
void add_webhook_routes(RouteTable& routes, ApiServices& services);  // webhooks (status)
void add_cmdb_routes(RouteTable& routes, ApiServices& services);     // cmdb/*
void add_inventory_routes(RouteTable& routes,
                          ApiServices& services);  // cmdb/software, inventory-changes
void add_rollout_routes(RouteTable& routes, ApiServices& services);  // rollouts/*
// software-policies, compliance
void add_compliance_routes(RouteTable& routes, ApiServices& services);

// The optional package a plan or rollout body names (package_id, or package and version, as
// POST /releases/{id}/deployments names it): package.not_found, request.* codes.
Result<std::optional<PackageRecord>> plan_package(Store& store, const nlohmann::json& body);
// release-types, releases/{id}/subscriptions
void add_release_type_routes(RouteTable& routes, ApiServices& services);

}  // namespace relman::controller
