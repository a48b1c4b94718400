// SPDX-License-Identifier: Apache-2.0
// Kernel-table lookups (docs/calibration.md): exact hits, log-log interpolation along one axis, held utilisation
// outside the measured range and for the nearest shape, and no estimate for a family the table lacks. The roofline
// here is FLOPs at 1 PFLOP/s (memory kernels: bytes at 1 TB/s), so utilisations are easy to derive by hand.
#include <catch2/catch.hpp>

#include "models/compute/kernel_table.hpp"

namespace dsim::models::compute {
namespace {

double flops_roofline(const KernelShape& s) {
  if (s.kind == KernelKind::memory) return static_cast<double>(s.bytes) / 1e12;
  if (s.kind == KernelKind::gemm) return 2.0 * double(s.groups) * double(s.m) * double(s.n) * double(s.k) / 1e15;
  return 2.0 * double(s.batch) * double(s.heads) * double(s.q_len) * double(s.kv_len) * double(s.qk_dim + s.v_dim) /
         1e15;
}

MeasuredKernel entry(KernelShape shape, double us) { return {shape, units::us(us), "test"}; }

KernelTable table(std::vector<MeasuredKernel> entries) { return KernelTable({"test GPU", 132, "", "", ""}, entries); }

KernelShape fp8(std::int64_t m, std::int64_t n = 7168, std::int64_t k = 2048) { return gemm_shape(Dtype::fp8, 1, m, n, k); }

}  // namespace

TEST_CASE("kernel table: a measured shape comes back exactly", "[models]") {
  const auto t = table({entry(fp8(4096), 61.25), entry(fp8(1024), 20.5)});
  const auto e = t.estimate(fp8(4096), flops_roofline);
  REQUIRE(e);
  CHECK(e->time == units::us(61.25));
  CHECK(e->rule == LookupRule::exact);
}

TEST_CASE("kernel table: between two measured token counts, log time is linear in log tokens", "[models]") {
  // m = 2048 sits halfway between 1024 and 4096 in log space: sqrt(10 us x 30 us) = 17.3205 us.
  const auto t = table({entry(fp8(1024), 10.0), entry(fp8(4096), 30.0)});
  const auto e = t.estimate(fp8(2048), flops_roofline);
  REQUIRE(e);
  CHECK(e->rule == LookupRule::interpolated);
  CHECK(units::to_us(e->time) == Approx(17.3205).epsilon(1e-5));
  Time last = units::us(10.0);
  for (std::int64_t m = 1024; m <= 4096; m += 64) {
    const Time now = t.estimate(fp8(m), flops_roofline)->time;
    CHECK(now >= last);
    CHECK(now <= units::us(30.0));
    last = now;
  }
}

TEST_CASE("kernel table: outside the measured range the nearest point's utilisation is held", "[models]") {
  // m 1024 measured at 20 us is the nearest point to m 8192; holding its utilisation (roofline / measured), the time
  // grows like the roofline, here FLOPs, 8x: 160 us.
  const auto t = table({entry(fp8(1024), 20.0), entry(fp8(512), 15.0)});
  const auto e = t.estimate(fp8(8192), flops_roofline);
  REQUIRE(e);
  CHECK(e->rule == LookupRule::extrapolated);
  CHECK(units::to_us(e->time) == Approx(160.0).epsilon(1e-9));
  CHECK(e->from->shape == fp8(1024));
}

TEST_CASE("kernel table: a bracket on one axis beats an extrapolation on another", "[models]") {
  // m 1024 and 4096 bracket m 2048; a lone point at k 1024 (same m and n) would extrapolate along k, from closer.
  const auto t = table({entry(fp8(1024), 10.0), entry(fp8(4096), 30.0), entry(fp8(2048, 7168, 1024), 1.0)});
  const auto e = t.estimate(fp8(2048), flops_roofline);
  REQUIRE(e);
  CHECK(e->rule == LookupRule::interpolated);
}

TEST_CASE("kernel table: a shape with no neighbour on any axis borrows the nearest shape's utilisation", "[models]") {
  // Nearest (log distance) to m 4096 n 7168 k 2048 among the two: m 4096 n 1536 k 512 (log 4.67 + log 4) and
  // m 512 n 512 k 512 (far). It ran at half its roofline speed, so the query takes twice its roofline.
  const KernelShape near = fp8(4096, 1536, 512);
  const auto t = table({entry(near, 2.0 * flops_roofline(near) * 1e6), entry(fp8(512, 512, 512), 1.0)});
  const auto e = t.estimate(fp8(4096, 7168, 2048), flops_roofline);
  REQUIRE(e);
  CHECK(e->rule == LookupRule::nearest_shape);
  CHECK(units::to_seconds(e->time) == Approx(2.0 * flops_roofline(fp8(4096, 7168, 2048))).epsilon(1e-6));
}

TEST_CASE("kernel table: a kind or format the table lacks has no estimate", "[models]") {
  const auto t = table({entry(fp8(1024), 10.0)});
  CHECK_FALSE(t.estimate(gemm_shape(Dtype::bf16, 1, 1024, 7168, 2048), flops_roofline));
  CHECK_FALSE(t.estimate(memory_shape(1 << 20), flops_roofline));
}

TEST_CASE("kernel table: memory kernels interpolate by bytes, whatever the format", "[models]") {
  // 1 MB in 2 us and 4 MB in 4 us: 2 MB takes sqrt(2 x 4) = 2.828 us.
  const auto t = table({entry(memory_shape(1'000'000), 2.0), entry(memory_shape(4'000'000), 4.0)});
  CHECK(units::to_us(t.estimate(memory_shape(2'000'000), flops_roofline)->time) == Approx(2.8284).epsilon(1e-4));
}

TEST_CASE("kernel table: training attention moves along the sequence, queries and keys together", "[models]") {
  const auto attn = [](std::int64_t seq) {
    return attention_shape(false, Dtype::bf16, 1, 128, 128, seq, seq, 192, 128, true);
  };
  const auto t = table({entry(attn(2048), 100.0), entry(attn(8192), 900.0)});
  const auto e = t.estimate(attn(4096), flops_roofline);
  REQUIRE(e);
  CHECK(e->rule == LookupRule::interpolated);
  CHECK(units::to_us(e->time) == Approx(300.0).epsilon(1e-6));  // sqrt(100 x 900)
}

TEST_CASE("kernel table: two entries with one key are a bug caught at construction", "[models]") {
  CHECK_THROWS_WITH(table({entry(fp8(1024), 10.0), entry(fp8(1024), 11.0)}),
                    Catch::Contains("kernel table has two entries for gemm fp8 m1024 n7168 k2048"));
}

TEST_CASE("kernel table: below the measured range a kernel keeps the smallest measured time", "[models]") {
  // m 512 and 1024 measured at 15 and 20 us; m 64 does an eighth of m 512's work but is launch-bound: 15 us.
  const auto t = table({entry(fp8(1024), 20.0), entry(fp8(512), 15.0)});
  const auto e = t.estimate(fp8(64), flops_roofline);
  REQUIRE(e);
  CHECK(e->rule == LookupRule::extrapolated);
  CHECK(e->time == units::us(15.0));
}

TEST_CASE("kernel table: no borrowed estimate goes below the fastest kernel the table measured", "[models]") {
  // The GEMM entry, m 4096 n 7168 k 2048, took 100 us (2.4x its roofline); a far smaller shape on no shared axis
  // borrows that utilisation: ~0.01 us, under anything a launch allows. The fastest kernel measured, a 1 MB copy,
  // took 1.5 us: the estimate is 1.5 us. A mid-sized shape (m 2048 n 2048 k 2048, 0.29x the work) keeps its
  // borrowed 0.29 x 100 us = 29.3 us, far above the floor.
  const auto t = table({entry(fp8(4096), 100.0), entry(memory_shape(1'000'000), 1.5)});
  const auto tiny = t.estimate(fp8(64, 256, 128), flops_roofline);
  REQUIRE(tiny);
  CHECK(tiny->rule == LookupRule::nearest_shape);
  CHECK(tiny->time == units::us(1.5));
  const auto mid = t.estimate(fp8(2048, 2048, 2048), flops_roofline);
  REQUIRE(mid);
  CHECK(units::to_us(mid->time) == Approx(100.0 * 2048.0 * 2048.0 / (4096.0 * 7168.0)).epsilon(1e-6));
}

TEST_CASE("kernel table: with a roofline of FLOPs and bytes, interpolated times stay monotonic between two points",
          "[models]") {
  // A roofline that is memory-bound for few tokens and compute-bound for many (weights of 14.7 MB read once, FLOPs
  // at 1 PFLOP/s, bytes at 3 TB/s): utilisation interpolated log-log, then the time clamped between the measured
  // 10.33 us (m 128) and 114.41 us (m 4096); every m between gives a time between them, never decreasing.
  const auto roofline = [](const KernelShape& s) {
    const double flops = 2.0 * double(s.m) * double(s.n) * double(s.k);
    const double bytes = double(s.k) * double(s.n) + double(s.m) * (double(s.k) + 2.0 * double(s.n));
    return std::max(flops / 1e15, bytes / 3e12);
  };
  const auto t = table({entry(fp8(128), 10.33), entry(fp8(4096), 114.41)});
  Time last = units::us(10.33);
  for (std::int64_t m = 128; m <= 4096; m += 32) {
    const Time now = t.estimate(fp8(m), roofline)->time;
    CHECK(now >= last);
    CHECK(now <= units::us(114.41));
    last = now;
  }
  CHECK(t.estimate(fp8(128), roofline)->time == units::us(10.33));
}

}  // namespace dsim::models::compute
