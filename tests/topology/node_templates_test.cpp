// SPDX-License-Identifier: Apache-2.0
// Node templates: each named template is complete and consistent, and carries its published figures.
#include <catch2/catch.hpp>

#include "topology/node/node_templates.hpp"

namespace dsim::topology {

TEST_CASE("node templates: every template pairs its GPUs and NICs under whole PCIe switches", "[topology]") {
  for (const auto& info : node_templates()) {
    INFO(info.name);
    const NodeSpec node = info.make();
    CHECK(node.template_name == info.name);
    CHECK(node.gpus > 0);
    CHECK(node.gpus % node.pcie.gpus_per_switch == 0);
    CHECK(node.nic.count / node.pcie.nics_per_switch == node.pcie_switches());
    for (const auto dtype : {Dtype::fp8, Dtype::bf16, Dtype::fp32}) CHECK(node.gpu.peak(dtype) > 0);
    CHECK(node.gpu.sm_count > 0);
    CHECK(node.host_memory.bandwidth.Bps() > 0);
    CHECK_FALSE(info.source.empty());
  }
}

TEST_CASE("node templates: H800 and H100 differ only in NVLink bandwidth", "[topology]") {
  // H800: 400 GB/s NVLink in total = 200 GB/s per direction; H100: 900 GB/s = 450 per direction. Same Hopper die:
  // 132 SMs, 989 TFLOP/s dense BF16, 1,979 dense FP8; 8 x 400 Gb/s NICs = 50 GB/s each.
  const NodeSpec h800 = *make_node_template("h800");
  const NodeSpec h100 = *make_node_template("h100");
  CHECK(units::to_GBps(h800.nvlink.per_gpu_bandwidth) == Approx(200));
  CHECK(units::to_GBps(h100.nvlink.per_gpu_bandwidth) == Approx(450));
  CHECK(h800.gpu.sm_count == 132);
  CHECK(h800.gpu.peak(Dtype::bf16) == Approx(989e12));
  CHECK(h800.gpu.peak(Dtype::fp8) == Approx(1979e12));
  CHECK(h800.nic.count == 8);
  CHECK(units::to_GBps(h800.nic.bandwidth) == Approx(50));
  CHECK(h800.gpu.peak(Dtype::bf16) == h100.gpu.peak(Dtype::bf16));
}

TEST_CASE("node templates: the NVL72 node is one 72-GPU NVLink domain at 900 GB/s per direction", "[topology]") {
  const NodeSpec nvl72 = *make_node_template("gb200-nvl72");
  CHECK(nvl72.gpus == 72);
  CHECK(nvl72.nic.count == 72);
  CHECK(units::to_GBps(nvl72.nvlink.per_gpu_bandwidth) == Approx(900));
}

TEST_CASE("node templates: an unknown name gives no template", "[topology]") {
  CHECK_FALSE(make_node_template("h900").has_value());
}

}  // namespace dsim::topology
