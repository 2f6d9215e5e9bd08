#include "controller/deploy/order_signer.hpp"

#include "controller/auth/passwords.hpp"
#include "protocol/canonical_json.hpp"

namespace relman::controller {

OrderSigner::OrderSigner(packaging::PrivateKey key)
    : key_(std::move(key)), key_id_(key_.public_key().key_id()) {}

protocol::DeployOrderMessage OrderSigner::make_order(const Delivery& d, std::int64_t now) const {
  protocol::DeployOrder o;
  o.order_id = random_hex(16);
  o.deployment_id = d.deployment.id;
  o.host_id = d.target.host_id;
  o.package_name = d.package.name;
  o.package_version = d.package.version;
  o.package_sha256 = d.package.sha256;
  o.manifest_sha256 = d.package.manifest_sha256;
  o.package_size = d.package.size;
  o.download_path = "/api/v1/agent/packages/" + d.package.sha256;
  o.issued_at = now;
  o.expires_at = std::max(d.deployment.expires_at, now + 1);
  o.allow_downgrade = d.deployment.allow_downgrade;
  if (d.deployment.action == protocol::kOrderRollback) o.action = protocol::kOrderRollback;
  return sign(o);
}

protocol::DeployOrderMessage OrderSigner::sign(const protocol::DeployOrder& order) const {
  // An order holds strings, integers and booleans only, so its canonical form always exists.
  auto canonical = protocol::canonical_json(protocol::to_json(order));
  return protocol::DeployOrderMessage{order, key_id_, packaging::sign(key_, *canonical)};
}

}  // namespace relman::controller
