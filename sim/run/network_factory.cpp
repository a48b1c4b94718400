// SPDX-License-Identifier: Apache-2.0
#include "sim/run/network_factory.hpp"

#include "models/network/flow_network.hpp"
#include "models/network/simple_network.hpp"
#include "sim/core/check.hpp"

namespace dsim::run {

std::unique_ptr<models::network::NetworkModel> make_network(const scenario::ModelsSpec& models,
                                                            const topology::Cluster& cluster,
                                                            topology::Cluster::Routes routes) {
  switch (models.network) {
    case scenario::NetworkModelKind::flow:
      return std::make_unique<models::network::FlowNetwork>(cluster, models.message_overheads,
                                                            models.completion_tolerance, routes,
                                                            models.reuse_isolated_groups);
    case scenario::NetworkModelKind::simple:
      return std::make_unique<models::network::SimpleNetwork>(cluster, models.message_overheads);
  }
  DSIM_CHECK(false, "unknown network model kind {}", static_cast<int>(models.network));
  return nullptr;
}

}  // namespace dsim::run
