// SPDX-License-Identifier: Apache-2.0
// Dense integer ids. Each kind of id is its own type, so a GpuId cannot be passed where an OpId is expected;
// names are for humans and reports, ids are for indexing vectors.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace dsim {

template <typename Tag>
class DenseId {
 public:
  using Value = std::uint32_t;
  constexpr DenseId() = default;
  constexpr explicit DenseId(Value v) : value_(v) {}
  static constexpr DenseId none() { return DenseId(std::numeric_limits<Value>::max()); }

  constexpr Value value() const { return value_; }
  constexpr std::size_t index() const { return value_; }
  constexpr bool valid() const { return value_ != std::numeric_limits<Value>::max(); }
  constexpr auto operator<=>(const DenseId&) const = default;

 private:
  Value value_ = std::numeric_limits<Value>::max();
};

using GpuId = DenseId<struct GpuIdTag>;
using NodeId = DenseId<struct NodeIdTag>;
using LinkId = DenseId<struct LinkIdTag>;
using FlowId = DenseId<struct FlowIdTag>;
using OpId = DenseId<struct OpIdTag>;
using RankId = DenseId<struct RankIdTag>;

}  // namespace dsim
