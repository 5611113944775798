// MeteredRequestHandler (cluster/broker/broker_metrics.h) against a scripted inner handler:
// produce counts only acknowledged partitions (all of them for acks=0), fetch counts complete
// batches for consumers and nothing for followers, every request is timed by kind.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <random>
#include <string>

#include "cluster/broker/broker_metrics.h"
#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages.h"
#include "cluster/record/record.h"
#include "common/admin/metrics.h"

namespace meridian::broker {
namespace {

namespace asio = boost::asio;
namespace proto = protocol;

class ScriptedHandler final : public RequestHandler {
 public:
  std::optional<std::vector<uint8_t>> response;
  int calls = 0;
  asio::awaitable<std::optional<std::vector<uint8_t>>> handle(const ConnectionInfo&,
                                                              std::span<uint8_t>) override {
    ++calls;
    co_return response;
  }
};

std::vector<uint8_t> batch(int records, int64_t base = 0) {
  record::BatchOptions o;
  o.base_offset = Offset(base);
  record::RecordBatchBuilder b(o);
  for (int i = 0; i < records; ++i) {
    b.append(1000 + i, "k", std::string(50, 'v'));
  }
  return *std::move(b).build();
}

template <class T>
std::vector<uint8_t> request_frame(const T& body, int16_t version) {
  proto::RequestHeader h;
  h.api_version = version;
  h.correlation_id = 7;
  h.client_id = "test";
  auto frame = proto::encode_request_frame(h, body);
  return std::vector<uint8_t>(frame->begin() + 4, frame->end());  // handlers get no size prefix
}

template <class T>
std::vector<uint8_t> response_frame(const T& body, int16_t version) {
  auto enc = proto::encode_response_frame(7, body, version);
  return enc->head;
}

double value(const std::string& name, const prometheus::Labels& labels) {
  for (const auto& family : admin::registry().Collect()) {
    if (family.name != name) {
      continue;
    }
    for (const auto& m : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& l : m.label) {
          found |= l.name == k && l.value == v;
        }
        match &= found;
      }
      if (match) {
        return family.type == prometheus::MetricType::Histogram
                   ? static_cast<double>(m.histogram.sample_count)
                   : family.type == prometheus::MetricType::Counter ? m.counter.value
                                                                    : m.gauge.value;
      }
    }
  }
  return -1;  // no such series
}

class MeteredHandlerTest : public ::testing::Test {
 protected:
  MeteredHandlerTest()
      : broker_("t" + std::to_string(std::random_device{}())), metered_(inner_, {{"broker", broker_}}) {}

  std::optional<std::vector<uint8_t>> run(std::vector<uint8_t> frame) {
    asio::io_context io;
    auto f = asio::co_spawn(io, metered_.handle(ConnectionInfo{1, "peer"}, frame), asio::use_future);
    io.run();
    return f.get();
  }
  double v(const std::string& name, prometheus::Labels labels) {
    labels["broker"] = broker_;
    return value(name, labels);
  }

  std::string broker_;
  ScriptedHandler inner_;
  MeteredRequestHandler metered_;
};

proto::ProduceRequest produce_request(int16_t acks, const std::vector<uint8_t>& a0,
                                      const std::vector<uint8_t>& a1,
                                      const std::vector<uint8_t>& b0) {
  proto::ProduceRequest req;
  req.acks = acks;
  req.topics.push_back({"a", {{0, a0}, {1, a1}}});
  req.topics.push_back({"b", {{0, b0}}});
  return req;
}

TEST_F(MeteredHandlerTest, ProduceCountsAcknowledgedPartitionsOnly) {
  auto a0 = batch(3), a1 = batch(2), b0 = batch(4);
  proto::ProduceResponse resp;
  resp.responses.push_back({"a", {}});
  resp.responses[0].partitions.resize(2);
  resp.responses[0].partitions[0].index = 0;
  resp.responses[0].partitions[1].index = 1;
  resp.responses[0].partitions[1].error_code = proto::ErrorCode::kNotLeaderOrFollower;
  resp.responses.push_back({"b", {}});
  resp.responses[1].partitions.resize(1);
  inner_.response = response_frame(resp, 3);
  auto out = run(request_frame(produce_request(-1, a0, a1, b0), 3));
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, *inner_.response);  // passed through unchanged
  EXPECT_EQ(v("meridian_records_produced_total", {{"topic", "a"}}), 3);
  EXPECT_EQ(v("meridian_records_produced_total", {{"topic", "b"}}), 4);
  EXPECT_EQ(v("meridian_request_bytes_total", {{"topic", "a"}, {"request", "produce"}}),
            static_cast<double>(a0.size()));
  EXPECT_EQ(v("meridian_request_latency_seconds", {{"request", "produce"}}), 1);

  inner_.response.reset();  // acks=0: no response, every batch counts
  EXPECT_FALSE(run(request_frame(produce_request(0, a0, a1, b0), 3)));
  EXPECT_EQ(v("meridian_records_produced_total", {{"topic", "a"}}), 8);
  EXPECT_EQ(v("meridian_records_produced_total", {{"topic", "b"}}), 8);
  EXPECT_EQ(v("meridian_request_latency_seconds", {{"request", "produce"}}), 2);
}

TEST_F(MeteredHandlerTest, FetchCountsCompleteBatchesForConsumersOnly) {
  auto b1 = batch(5, 0), b2 = batch(7, 5);
  std::vector<uint8_t> records = b1;
  records.insert(records.end(), b2.begin(), b2.begin() + 40);  // truncated by max_bytes
  proto::FetchResponse resp;
  resp.responses.push_back({"a", {}});
  resp.responses[0].partitions.resize(1);
  resp.responses[0].partitions[0].records = records;
  inner_.response = response_frame(resp, 4);
  proto::FetchRequest consumer;
  consumer.replica_id = -1;
  run(request_frame(consumer, 4));
  EXPECT_EQ(v("meridian_records_fetched_total", {{"topic", "a"}}), 5);
  EXPECT_EQ(v("meridian_request_bytes_total", {{"topic", "a"}, {"request", "fetch"}}),
            static_cast<double>(b1.size()));
  proto::FetchRequest follower;
  follower.replica_id = 2;
  run(request_frame(follower, 4));
  EXPECT_EQ(v("meridian_records_fetched_total", {{"topic", "a"}}), 5);  // followers not counted
  EXPECT_EQ(v("meridian_request_latency_seconds", {{"request", "fetch"}}), 2);
  EXPECT_EQ(inner_.calls, 2);
}

TEST_F(MeteredHandlerTest, OtherRequestsAreTimedByKindAndGarbagePassesThrough) {
  inner_.response = std::vector<uint8_t>{};
  run(request_frame(proto::ListOffsetsRequest{}, 1));
  EXPECT_EQ(v("meridian_request_latency_seconds", {{"request", "list_offsets"}}), 1);
  std::vector<uint8_t> garbage{1, 2};
  auto out = run(garbage);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->empty());  // the inner handler's answer (close), unmetered
  EXPECT_EQ(inner_.calls, 2);
}

}  // namespace
}  // namespace meridian::broker
