#include "cluster/log/detail/sparse_index.h"

#include <algorithm>

#include "cluster/log/detail/file.h"
#include "cluster/log/format.h"
#include "common/byte_order.h"

namespace meridian::log::detail {
namespace {

template <class Entry>
struct Codec;

template <>
struct Codec<OffsetIndexEntry> {
  static constexpr size_t kSize = format::kOffsetIndexEntrySize;
  static void encode(const OffsetIndexEntry& e, uint8_t* p) {
    store_be<uint32_t>(p + format::kOffsetIndexRelOffsetPos, e.relative_offset);
    store_be<uint32_t>(p + format::kOffsetIndexPositionPos, e.position);
  }
  static OffsetIndexEntry decode(const uint8_t* p) {
    return {load_be<uint32_t>(p + format::kOffsetIndexRelOffsetPos),
            load_be<uint32_t>(p + format::kOffsetIndexPositionPos)};
  }
  // Both fields strictly increase: one entry per indexed batch.
  static std::optional<std::string> check(const OffsetIndexEntry* prev, const OffsetIndexEntry& e,
                                          uint64_t log_size, uint64_t max_rel) {
    if (e.position >= log_size && !(e.position == 0 && log_size == 0)) {
      return "position " + std::to_string(e.position) + " beyond the segment size";
    }
    if (e.relative_offset > max_rel) {
      return "relative offset " + std::to_string(e.relative_offset) + " out of range";
    }
    if (prev && (e.relative_offset <= prev->relative_offset || e.position <= prev->position)) {
      return "entries not increasing";
    }
    return std::nullopt;
  }
};

template <>
struct Codec<TimeIndexEntry> {
  static constexpr size_t kSize = format::kTimeIndexEntrySize;
  static void encode(const TimeIndexEntry& e, uint8_t* p) {
    store_be<int64_t>(p + format::kTimeIndexTimestampPos, e.timestamp);
    store_be<uint32_t>(p + format::kTimeIndexRelOffsetPos, e.relative_offset);
  }
  static TimeIndexEntry decode(const uint8_t* p) {
    return {load_be<int64_t>(p + format::kTimeIndexTimestampPos),
            load_be<uint32_t>(p + format::kTimeIndexRelOffsetPos)};
  }
  // Timestamps strictly increase (an entry is added only when the maximum grows); offsets follow.
  static std::optional<std::string> check(const TimeIndexEntry* prev, const TimeIndexEntry& e,
                                          uint64_t, uint64_t max_rel) {
    if (e.relative_offset > max_rel) {
      return "relative offset " + std::to_string(e.relative_offset) + " out of range";
    }
    if (prev && (e.timestamp <= prev->timestamp || e.relative_offset < prev->relative_offset)) {
      return "entries not increasing";
    }
    return std::nullopt;
  }
};

}  // namespace

template <class Entry>
std::optional<std::string> SparseIndex<Entry>::load(uint64_t log_size, uint64_t max_rel) {
  using C = Codec<Entry>;
  entries_.clear();
  persisted_ = 0;
  file_too_long_ = true;
  auto bytes = read_small_file(path_);
  if (!bytes) {
    return bytes.error() == std::errc::no_such_file_or_directory ? "missing"
                                                                 : bytes.error().message();
  }
  if (bytes->size() % C::kSize != 0) {
    return "size " + std::to_string(bytes->size()) + " is not a multiple of " +
           std::to_string(C::kSize);
  }
  size_t n = bytes->size() / C::kSize;
  entries_.reserve(n);
  const auto* p = reinterpret_cast<const uint8_t*>(bytes->data());
  for (size_t i = 0; i < n; ++i) {
    Entry e = C::decode(p + i * C::kSize);
    if (auto problem =
            C::check(entries_.empty() ? nullptr : &entries_.back(), e, log_size, max_rel)) {
      entries_.clear();
      return "entry " + std::to_string(i) + ": " + *problem;
    }
    entries_.push_back(e);
  }
  persisted_ = n;
  file_too_long_ = false;
  return std::nullopt;
}

template <class Entry>
void SparseIndex<Entry>::truncate_entries(size_t n) {
  if (n < entries_.size()) {
    entries_.resize(n);
  }
  if (n < persisted_) {
    persisted_ = n;
    file_too_long_ = true;
  }
}

template <class Entry>
Result<void> SparseIndex<Entry>::persist(Sync sync) {
  using C = Codec<Entry>;
  if (persisted_ == entries_.size() && !file_too_long_ && sync == Sync::kNo) {
    return {};
  }
  auto file = File::open(path_, File::Mode::kReadWrite);
  if (!file && file.error() == std::errc::no_such_file_or_directory) {
    file = File::open(path_, File::Mode::kCreateTruncate);
    persisted_ = 0;
  }
  if (!file) {
    return file.error();
  }
  std::vector<uint8_t> buf((entries_.size() - persisted_) * C::kSize);
  for (size_t i = persisted_; i < entries_.size(); ++i) {
    C::encode(entries_[i], buf.data() + (i - persisted_) * C::kSize);
  }
  if (auto r = (*file)->pwrite(buf, persisted_ * C::kSize); !r) {
    return r.error();
  }
  if (file_too_long_) {
    if (auto r = (*file)->truncate(entries_.size() * C::kSize); !r) {
      return r.error();
    }
  }
  persisted_ = entries_.size();
  file_too_long_ = false;
  if (sync == Sync::kYes) {
    return (*file)->sync();
  }
  return {};
}

template class SparseIndex<OffsetIndexEntry>;
template class SparseIndex<TimeIndexEntry>;

std::optional<size_t> lookup_offset(const OffsetIndex& index, uint32_t rel) noexcept {
  const auto& e = index.entries();
  auto it = std::upper_bound(e.begin(), e.end(), rel, [](uint32_t r, const OffsetIndexEntry& x) {
    return r < x.relative_offset;
  });
  if (it == e.begin()) {
    return std::nullopt;
  }
  return static_cast<size_t>(it - e.begin()) - 1;
}

std::optional<size_t> lookup_time(const TimeIndex& index, int64_t ts) noexcept {
  const auto& e = index.entries();
  auto it = std::upper_bound(e.begin(), e.end(), ts,
                             [](int64_t t, const TimeIndexEntry& x) { return t < x.timestamp; });
  if (it == e.begin()) {
    return std::nullopt;
  }
  return static_cast<size_t>(it - e.begin()) - 1;
}

}  // namespace meridian::log::detail
