// SPDX-License-Identifier: Apache-2.0
// Sources: [P] Zhao et al., ISCA 2025 (arXiv 2505.09343); [R] DeepSeek-V3 technical report (arXiv 2412.19437);
// [H100] NVIDIA H100 Tensor Core GPU datasheet (dense = half the with-sparsity figures); [H20] NVIDIA H20 as
// published by resellers (96 GB HBM3 at 4.0 TB/s, 148 TFLOPS dense BF16, 296 FP8, 44 FP32, NVLink 900 GB/s; 78 SMs
// as reported by Geekbench listings: treat as approximate); [GB200] NVIDIA GB200 NVL72 specifications (per GPU: FP8
// 10 PFLOPS and BF16 5 PFLOPS with sparsity, 186 GB HBM3e at 8 TB/s, NVLink 5 at 1.8 TB/s total; 148 SMs reported).
// Latencies and efficiencies are first estimates until fitted to measurements (issues 5 and 7).
#include "topology/node/node_templates.hpp"

#include <array>

namespace dsim::topology {
namespace {

constexpr double tera = 1e12;

GpuSpec hopper_sxm(std::string model) {
  GpuSpec gpu;
  gpu.model = std::move(model);
  gpu.peak_flops = {1979 * tera, 989 * tera, 67 * tera};  // [H100]: FP8 3,958 / BF16 1,979 sparse; FP32 67
  gpu.hbm_capacity = Bytes(80'000'000'000);                  // [H100] 80 GB HBM3
  gpu.hbm_bandwidth = units::GBps(3350);                     // [H100] 3.35 TB/s
  gpu.sm_count = 132;                                        // [H100] SXM5: 132 SMs
  return gpu;
}

// An HGX board: 8 GPUs, 8 NICs, 4 PCIe Gen5 switches each pairing 2 GPUs with 2 NICs (GPU i and NIC i share a
// switch), Gen5 x16 links (64 GB/s per direction before protocol overhead).
NodeSpec hgx(std::string name, GpuSpec gpu, double nvlink_GBps_per_direction) {
  NodeSpec node;
  node.template_name = std::move(name);
  node.gpus = 8;
  node.gpu = std::move(gpu);
  node.nvlink = {units::GBps(nvlink_GBps_per_direction), 0.8, units::us(1.0)};  // [P]: ~160 of 200 GB/s on H800
  node.pcie = {2, 2, units::GBps(64), 0.8, units::us(0.1)};
  node.nic = {8, units::gbps(400), 0.8, units::us(2.0)};  // [P]: 8 x 400G CX7, ~40 of 50 GB/s effective
  node.host_memory = {units::GBps(64), 0.8};              // through the PCIe root complex
  return node;
}

NodeSpec h800() { return hgx("h800", hopper_sxm("H800 SXM"), 200); }  // [P]: NVLink 400 GB/s total
NodeSpec h100() { return hgx("h100", hopper_sxm("H100 SXM"), 450); }  // [H100]: NVLink 900 GB/s total

NodeSpec h20() {
  GpuSpec gpu;
  gpu.model = "H20";
  gpu.peak_flops = {296 * tera, 148 * tera, 44 * tera};  // [H20]
  gpu.hbm_capacity = Bytes(96'000'000'000);
  gpu.hbm_bandwidth = units::GBps(4000);
  gpu.sm_count = 78;
  return hgx("h20", gpu, 450);  // [H20]: NVLink 900 GB/s total
}

// One NVL72 rack as one node: 72 GPUs in one NVLink domain, one 400G NIC per GPU, each GPU with its NIC on its own
// PCIe path (through the Grace CPU on real trays; modelled as a switch per pair).
NodeSpec gb200_nvl72() {
  NodeSpec node;
  node.template_name = "gb200-nvl72";
  node.gpus = 72;
  node.gpu.model = "B200 (GB200)";
  node.gpu.peak_flops = {5000 * tera, 2500 * tera, 80 * tera};  // [GB200] dense = half of sparse; FP32 approximate
  node.gpu.hbm_capacity = Bytes(186'000'000'000);
  node.gpu.hbm_bandwidth = units::GBps(8000);
  node.gpu.sm_count = 148;
  node.nvlink = {units::GBps(900), 0.8, units::us(1.0)};  // [GB200], [P]: 900 GB/s unidirectional
  node.pcie = {1, 1, units::GBps(64), 0.8, units::us(0.1)};
  node.nic = {72, units::gbps(400), 0.8, units::us(2.0)};
  node.host_memory = {units::GBps(64), 0.8};
  return node;
}

constexpr std::array<NodeTemplateInfo, 4> templates = {{
    {"h800", "HGX H800: 8 x H800 SXM, NVLink 400 GB/s, 8 x 400G CX7 InfiniBand", "[P], [R], H100 datasheet", &h800},
    {"h100", "HGX H100: 8 x H100 SXM, NVLink 900 GB/s, 8 x 400G NICs", "H100 datasheet", &h100},
    {"h20", "HGX H20: 8 x H20, NVLink 900 GB/s, 8 x 400G NICs", "published H20 specifications", &h20},
    {"gb200-nvl72", "GB200 NVL72 rack as one 72-GPU NVLink domain, 72 x 400G NICs", "GB200 NVL72 specifications, [P]",
     &gb200_nvl72},
}};

}  // namespace

std::span<const NodeTemplateInfo> node_templates() { return templates; }

std::optional<NodeSpec> make_node_template(std::string_view name) {
  for (const auto& t : templates) {
    if (t.name == name) return t.make();
  }
  return std::nullopt;
}

}  // namespace dsim::topology
