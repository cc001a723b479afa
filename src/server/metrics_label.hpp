// Adds one label to every sample of a Prometheus text exposition, so that
// replicas behind one load balancer can be told apart (replica="r2").
#pragma once

#include <string>

namespace lowbit::server {

// `name` must be a Prometheus label name; `value` is escaped.
std::string with_label(const std::string& exposition, const std::string& name, const std::string& value);

}  // namespace lowbit::server
