#include "cluster/broker/group_records.h"

#include <algorithm>
#include <cstring>

#include "cluster/record/record.h"
#include "common/byte_order.h"

namespace meridian::broker {

namespace {

// Kafka's versions (GroupMetadataManager): what we write.
constexpr int16_t kOffsetKeyVersion = 1;
constexpr int16_t kGroupKeyVersion = 2;
constexpr int16_t kOffsetValueVersion = 3;
constexpr int16_t kGroupValueVersion = 3;

class Writer {
 public:
  template <class T>
  void integer(T v) {
    size_t at = out_.size();
    out_.resize(at + sizeof(T));
    store_be<T>(out_.data() + at, v);
  }
  void string(std::string_view s) {
    integer<int16_t>(static_cast<int16_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void nullable_string(const std::optional<std::string>& s) {
    if (!s) {
      integer<int16_t>(-1);
    } else {
      string(*s);
    }
  }
  void bytes(const GroupBytes& b) {
    integer<int32_t>(static_cast<int32_t>(b.size()));
    out_.insert(out_.end(), b.begin(), b.end());
  }
  GroupBytes take() { return std::move(out_); }

 private:
  GroupBytes out_;
};

// Bounds-checked reader: every read sets failed_ instead of reading past the end.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  template <class T>
  T integer() {
    if (!need(sizeof(T))) {
      return T{};
    }
    T v = load_be<T>(in_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }
  std::optional<std::string> nullable_string() {
    int16_t len = integer<int16_t>();
    if (len < 0) {
      if (len != -1) {
        failed_ = true;
      }
      return std::nullopt;
    }
    if (!need(static_cast<size_t>(len))) {
      return std::string();
    }
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return s;
  }
  std::string string() {
    auto s = nullable_string();
    if (!s) {
      failed_ = true;
      return {};
    }
    return std::move(*s);
  }
  GroupBytes bytes() {
    int32_t len = integer<int32_t>();
    if (len < 0) {
      return {};  // null bytes read as empty
    }
    if (!need(static_cast<size_t>(len))) {
      return {};
    }
    GroupBytes b(in_.begin() + static_cast<std::ptrdiff_t>(pos_),
                 in_.begin() + static_cast<std::ptrdiff_t>(pos_ + static_cast<size_t>(len)));
    pos_ += static_cast<size_t>(len);
    return b;
  }
  bool failed() const noexcept { return failed_; }

 private:
  bool need(size_t n) {
    if (failed_ || in_.size() - pos_ < n) {
      failed_ = true;
      return false;
    }
    return true;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

std::error_code bad_message() { return std::make_error_code(std::errc::bad_message); }

PersistedMember read_member(Reader& r, int16_t version) {
  PersistedMember m;
  m.member_id = r.string();
  if (version >= 3) {
    m.group_instance_id = r.nullable_string();
  }
  m.client_id = r.string();
  m.client_host = r.string();
  if (version >= 1) {
    m.rebalance_timeout_ms = r.integer<int32_t>();
  }
  m.session_timeout_ms = r.integer<int32_t>();
  if (version == 0) {
    m.rebalance_timeout_ms = m.session_timeout_ms;
  }
  m.subscription = r.bytes();
  m.assignment = r.bytes();
  return m;
}

}  // namespace

int32_t java_string_hash(std::string_view s) noexcept {
  // Decode UTF-8 into code points, then hash UTF-16 code units (surrogate pairs above U+FFFF),
  // exactly as Java does; invalid bytes count as U+FFFD, as Java's decoder substitutes them.
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = 31 * h + unit; };
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<uint8_t>(s[i]);
    uint32_t cp = 0xFFFD;
    size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6) {
      len = 2;
    } else if ((c >> 4) == 0xE) {
      len = 3;
    } else if ((c >> 3) == 0x1E) {
      len = 4;
    }
    if (len > 1) {
      bool ok = i + len <= s.size();
      uint32_t v = c & (0x7F >> len);
      for (size_t k = 1; ok && k < len; ++k) {
        auto cc = static_cast<uint8_t>(s[i + k]);
        ok = (cc & 0xC0) == 0x80;
        v = (v << 6) | (cc & 0x3F);
      }
      cp = ok ? v : 0xFFFD;
      len = ok ? len : 1;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    } else {
      add(cp);
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

int32_t offsets_partition_for(std::string_view group_id, int32_t partitions) noexcept {
  int32_t h = java_string_hash(group_id);
  // Kafka's Utils.abs: Integer.MIN_VALUE maps to 0.
  int32_t abs = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
  return partitions <= 0 ? 0 : abs % partitions;
}

GroupBytes encode_offset_key(const OffsetKey& key) {
  Writer w;
  w.integer<int16_t>(kOffsetKeyVersion);
  w.string(key.group);
  w.string(key.topic);
  w.integer<int32_t>(key.partition);
  return w.take();
}

GroupBytes encode_offset_value(const CommittedOffset& value) {
  Writer w;
  w.integer<int16_t>(kOffsetValueVersion);
  w.integer<int64_t>(value.offset);
  w.integer<int32_t>(value.leader_epoch);
  w.string(value.metadata);
  w.integer<int64_t>(value.commit_timestamp);
  return w.take();
}

GroupBytes encode_group_key(const GroupKey& key) {
  Writer w;
  w.integer<int16_t>(kGroupKeyVersion);
  w.string(key.group);
  return w.take();
}

GroupBytes encode_group_value(const GroupMetadata& value) {
  Writer w;
  w.integer<int16_t>(kGroupValueVersion);
  w.string(value.protocol_type);
  w.integer<int32_t>(value.generation);
  w.nullable_string(value.protocol);
  w.nullable_string(value.leader);
  w.integer<int64_t>(value.current_state_timestamp);
  w.integer<int32_t>(static_cast<int32_t>(value.members.size()));
  for (const auto& m : value.members) {
    w.string(m.member_id);
    w.nullable_string(m.group_instance_id);
    w.string(m.client_id);
    w.string(m.client_host);
    w.integer<int32_t>(m.rebalance_timeout_ms);
    w.integer<int32_t>(m.session_timeout_ms);
    w.bytes(m.subscription);
    w.bytes(m.assignment);
  }
  return w.take();
}

Result<OffsetsRecordKey> decode_offsets_key(std::span<const uint8_t> key) {
  Reader r(key);
  int16_t version = r.integer<int16_t>();
  OffsetsRecordKey out;
  if (version == 0 || version == 1) {
    OffsetKey k;
    k.group = r.string();
    k.topic = r.string();
    k.partition = r.integer<int32_t>();
    out = std::move(k);
  } else if (version == 2) {
    out = GroupKey{r.string()};
  } else {
    return bad_message();
  }
  if (r.failed()) {
    return bad_message();
  }
  return out;
}

Result<CommittedOffset> decode_offset_value(std::span<const uint8_t> value) {
  Reader r(value);
  int16_t version = r.integer<int16_t>();
  if (version < 0 || version > 3) {
    return bad_message();
  }
  CommittedOffset v;
  v.offset = r.integer<int64_t>();
  if (version >= 3) {
    v.leader_epoch = r.integer<int32_t>();
  }
  v.metadata = r.string();
  v.commit_timestamp = r.integer<int64_t>();
  if (version == 1) {
    (void)r.integer<int64_t>();  // expire_timestamp: Meridian does not expire offsets
  }
  if (r.failed()) {
    return bad_message();
  }
  return v;
}

Result<GroupMetadata> decode_group_value(std::span<const uint8_t> value) {
  Reader r(value);
  int16_t version = r.integer<int16_t>();
  if (version < 0 || version > 3) {
    return bad_message();
  }
  GroupMetadata g;
  g.protocol_type = r.string();
  g.generation = r.integer<int32_t>();
  g.protocol = r.nullable_string();
  g.leader = r.nullable_string();
  if (version >= 2) {
    g.current_state_timestamp = r.integer<int64_t>();
  }
  int32_t count = r.integer<int32_t>();
  if (count < 0 || static_cast<size_t>(count) > value.size()) {
    return bad_message();
  }
  for (int32_t i = 0; i < count && !r.failed(); ++i) {
    g.members.push_back(read_member(r, version));
  }
  if (r.failed()) {
    return bad_message();
  }
  return g;
}

namespace {

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void apply_record(const record::Record& r, OffsetsReplay& out) {
  ++out.records;
  auto key = r.key ? decode_offsets_key(as_bytes(*r.key)) : Result<OffsetsRecordKey>(bad_message());
  if (!key) {
    ++out.skipped;
    return;
  }
  if (const auto* ok = std::get_if<OffsetKey>(&*key)) {
    auto& offsets = out.offsets[ok->group];
    std::pair<std::string, int32_t> tp{ok->topic, ok->partition};
    if (!r.value) {
      offsets.erase(tp);
    } else if (auto v = decode_offset_value(as_bytes(*r.value))) {
      offsets[tp] = *v;
    } else {
      ++out.skipped;
    }
    return;
  }
  const auto& gk = std::get<GroupKey>(*key);
  if (!r.value) {
    out.groups[gk.group] = std::nullopt;
    out.offsets.erase(gk.group);  // DeleteGroups writes offset tombstones too; be sure
  } else if (auto v = decode_group_value(as_bytes(*r.value))) {
    out.groups[gk.group] = std::move(*v);
  } else {
    ++out.skipped;
  }
}

}  // namespace

void replay_offsets_batches(std::span<const uint8_t> batches, OffsetsReplay& out) {
  while (!batches.empty()) {
    auto batch = record::BatchView::parse(batches);
    if (!batch) {
      return;  // the log hands out whole batches; a partial tail is not ours to read
    }
    batches = batches.subspan(batch->size_bytes());
    if (batch->is_control()) {
      continue;
    }
    auto records = record::decode_records(*batch);
    if (!records) {
      out.skipped += static_cast<size_t>(std::max(batch->records_count(), 1));
      continue;
    }
    for (const auto& r : *records) {
      apply_record(r, out);
    }
  }
}

}  // namespace meridian::broker
