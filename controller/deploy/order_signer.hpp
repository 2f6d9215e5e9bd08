// Builds and signs deploy orders with the controller's Ed25519 key.
#pragma once

#include <cstdint>
#include <string>

#include "controller/store/records.hpp"
#include "packaging/signing.hpp"
#include "protocol/messages.hpp"

namespace relman::controller {

class OrderSigner {
 public:
  explicit OrderSigner(packaging::PrivateKey key);
  const std::string& key_id() const { return key_id_; }

  // A new order (fresh order_id) for one delivery, issued at `now`, valid until the
  // deployment's deadline.
  protocol::DeployOrderMessage make_order(const Delivery& d, std::int64_t now) const;
  protocol::DeployOrderMessage sign(const protocol::DeployOrder& order) const;

 private:
  packaging::PrivateKey key_;
  std::string key_id_;
};

}  // namespace relman::controller
