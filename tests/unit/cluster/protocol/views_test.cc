// ProduceRequestView / FetchResponseView: decoded in place, records reference the input buffer,
// and they re-encode to exactly the bytes of the owning types.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages.h"
#include "tests/unit/cluster/protocol/test_io.h"

namespace meridian::protocol {
namespace {

// topics_of(view) returns the view's topic array (ProduceRequest::topics or
// FetchResponse::responses).
template <class Owning, class View, class TopicsOf>
void check_view_matches(TopicsOf topics_of) {
  for (int16_t v = Owning::kMinVersion; v <= Owning::kMaxVersion; ++v) {
    for (uint64_t seed = 0; seed < 8; ++seed) {
      SCOPED_TRACE(::testing::Message() << "version " << v << " seed " << seed);
      std::mt19937_64 rng(seed);
      testing::Filler filler(rng);
      Owning msg;
      msg.io(filler, v);
      auto bytes = encode(msg, v);
      ASSERT_TRUE(bytes.has_value());
      auto view = decode<View>(*bytes, v);
      ASSERT_TRUE(view.has_value()) << view.error().message();
      auto again = encode(*view, v);
      ASSERT_TRUE(again.has_value());
      EXPECT_EQ(*again, *bytes);
      EXPECT_EQ(encoded_size(*view, v), bytes->size());
      const uint8_t* lo = bytes->data();
      const uint8_t* hi = bytes->data() + bytes->size();
      int records_seen = 0;
      for (const auto& topic : topics_of(*view)) {
        for (const auto& partition : topic.partitions) {
          if (partition.records && !partition.records->empty()) {
            ++records_seen;
            EXPECT_GE(partition.records->data(), lo);
            EXPECT_LE(partition.records->data() + partition.records->size(), hi);
          }
        }
      }
      for (size_t len = 0; len < bytes->size(); ++len) {
        ASSERT_FALSE(decode<View>(std::span<const uint8_t>(bytes->data(), len), v).has_value());
      }
    }
  }
}

TEST(RecordsView, ProduceRequestViewBorrowsRecords) {
  check_view_matches<ProduceRequest, ProduceRequestView>(
      [](const ProduceRequestView& r) -> const auto& { return r.topics; });
}

TEST(RecordsView, FetchResponseViewBorrowsRecords) {
  check_view_matches<FetchResponse, FetchResponseView>(
      [](const FetchResponseView& r) -> const auto& { return r.responses; });
}

TEST(RecordsView, NullRecordsStayNull) {
  ProduceRequest req;
  req.topics.push_back({"t", {{0, std::nullopt}, {1, Bytes{}}}});
  auto bytes = encode(req, 3);
  ASSERT_TRUE(bytes.has_value());
  auto view = decode<ProduceRequestView>(*bytes, 3);
  ASSERT_TRUE(view.has_value());
  EXPECT_FALSE(view->topics[0].partitions[0].records.has_value());
  ASSERT_TRUE(view->topics[0].partitions[1].records.has_value());
  EXPECT_TRUE(view->topics[0].partitions[1].records->empty());
}

TEST(RecordsView, SplicedViewReferencesTheSameBytes) {
  Bytes batch(300, 0x42);
  FetchResponseView resp;
  resp.responses.push_back({"t", {}});
  resp.responses[0].partitions.emplace_back();
  resp.responses[0].partitions[0].records = std::span<const uint8_t>(batch);
  auto spliced = encode_response_frame(1, resp, 11, Splicing::kYes);
  ASSERT_TRUE(spliced.has_value());
  ASSERT_EQ(spliced->splices.size(), 1u);
  EXPECT_EQ(spliced->splices[0].bytes.data(), batch.data());
  auto copied = encode_response_frame(1, resp, 11);
  ASSERT_TRUE(copied.has_value());
  EXPECT_EQ(copied->head.size(), spliced->size());
}

}  // namespace
}  // namespace meridian::protocol

namespace meridian::protocol {
namespace {

TEST(LeaderAndIsr, SetPartitionStatesEncodesTheSamePartitionsAtEveryVersion) {
  std::vector<LeaderAndIsrRequest::PartitionState> states(3);
  states[0].topic_name = "a";
  states[0].partition_index = 0;
  states[1].topic_name = "b";
  states[1].partition_index = 0;
  states[2].topic_name = "a";
  states[2].partition_index = 1;
  for (auto& s : states) {
    s.leader = 1;
    s.isr = {1, 2};
    s.replicas = {1, 2};
  }
  LeaderAndIsrRequest request;
  set_partition_states(request, states);
  ASSERT_EQ(request.topic_states.size(), 2u);
  EXPECT_EQ(request.topic_states[0].partition_states.size(), 2u);
  for (int16_t v = LeaderAndIsrRequest::kMinVersion; v <= LeaderAndIsrRequest::kMaxVersion; ++v) {
    auto bytes = encode(request, v);
    ASSERT_TRUE(bytes.has_value());
    auto back = decode<LeaderAndIsrRequest>(*bytes, v);
    ASSERT_TRUE(back.has_value());
    auto flat = flatten_partition_states(*back);
    ASSERT_EQ(flat.size(), 3u) << "version " << v;
    std::set<std::pair<std::string, int32_t>> seen;
    for (const auto& s : flat) {
      seen.insert({s.topic_name, s.partition_index});
      EXPECT_EQ(s.isr, (std::vector<int32_t>{1, 2}));
    }
    EXPECT_EQ(seen, (std::set<std::pair<std::string, int32_t>>{{"a", 0}, {"a", 1}, {"b", 0}}));
  }
}

}  // namespace
}  // namespace meridian::protocol
