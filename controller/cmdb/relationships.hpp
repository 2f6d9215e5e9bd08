// Typed relationships between CIs, read "from <type> to": "web runs_on srv1".
//
// Which built-in class pairs make sense (from -> to):
//   runs_on       software, service            -> host, hardware
//   depends_on    service, software, host      -> service, software, host, network
//   installed_on  software                     -> host, hardware
//   part_of       hardware                     -> hardware, host, network
//                 host, software, service      -> service   (a member of a cluster or suite)
//   connected_to  host, hardware, network      -> host, hardware, network
// A user-defined class may be at either end of any type (its schema does not say what it
// is). A CI is never related to itself.
//
// How a change travels along a relationship (impact analysis, see impact.hpp):
//   depends_on, connected_to: a change to `to` affects `from`
//   part_of:                  a change to `from` (the part) affects `to` (the whole)
//   runs_on, installed_on:    a change to `to` (the host) affects `from` (what runs on it);
//                             and the host is affected when the changed CI itself runs on it
//                             (the change is made there), but not when something running on
//                             it is merely affected by a change elsewhere
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/error.hpp"

namespace relman::controller::cmdb {

const std::vector<std::string>& relationship_types();
bool valid_relationship_type(std::string_view type);

// ok, or cmdb.invalid_relationship naming the type and the pair when the classes make no
// sense for the type (see above), or when the type is unknown.
Result<void> check_relationship(std::string_view type, std::string_view from_class,
                                std::string_view to_class);

// Whether a change to one end of a relationship of `type` affects the other end.
bool change_flows_to_from(std::string_view type);  // a change to `to` affects `from`
// A change to `from` affects `to`; `from_is_origin`: `from` is the CI being changed.
bool change_flows_from_to(std::string_view type, bool from_is_origin);

}  // namespace relman::controller::cmdb
