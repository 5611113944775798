#pragma once
// Strong ids used in public signatures instead of bare integers.
// Offsets get arithmetic (offset math is everywhere); ids only compare.

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

namespace meridian {

template <class Tag, class Rep>
struct StrongId {
  using rep = Rep;
  Rep value{};
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep v) : value(v) {}
  constexpr auto operator<=>(const StrongId&) const = default;
  friend std::ostream& operator<<(std::ostream& os, StrongId id) { return os << id.value; }
};

template <class Tag, class Rep>
struct StrongNumber : StrongId<Tag, Rep> {
  using StrongId<Tag, Rep>::StrongId;
  constexpr StrongNumber operator+(Rep d) const { return StrongNumber(this->value + d); }
  constexpr StrongNumber operator-(Rep d) const { return StrongNumber(this->value - d); }
  constexpr Rep operator-(StrongNumber o) const { return this->value - o.value; }
  constexpr StrongNumber& operator+=(Rep d) { this->value += d; return *this; }
  constexpr auto operator<=>(const StrongNumber&) const = default;
};

struct OffsetTag {};
struct LeaderEpochTag {};
struct BrokerIdTag {};
struct PartitionIdTag {};
struct DatacenterIdTag {};

// Offset of a record in a partition. Kafka uses -1 for "none".
using Offset = StrongNumber<OffsetTag, int64_t>;
// Leader epoch as carried in RecordBatch.partitionLeaderEpoch; -1 means unknown.
using LeaderEpoch = StrongNumber<LeaderEpochTag, int32_t>;
using BrokerId = StrongId<BrokerIdTag, int32_t>;
using PartitionId = StrongId<PartitionIdTag, int32_t>;
using DatacenterId = StrongId<DatacenterIdTag, int32_t>;

}  // namespace meridian

template <class Tag, class Rep>
struct std::hash<meridian::StrongId<Tag, Rep>> {
  size_t operator()(meridian::StrongId<Tag, Rep> id) const noexcept { return std::hash<Rep>{}(id.value); }
};
template <class Tag, class Rep>
struct std::hash<meridian::StrongNumber<Tag, Rep>> {
  size_t operator()(meridian::StrongNumber<Tag, Rep> id) const noexcept {
    return std::hash<Rep>{}(id.value);
  }
};
