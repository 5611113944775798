// One broker's data path with real clients: KafkaServer + RequestDispatcher + ReplicaManager on
// a loopback port, partitions made leaders by a LeaderAndIsr request sent over the wire (the
// test plays the controller, which lands separately), and Debian's kafka-python producing and
// consuming through it.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <filesystem>
#include <thread>

#include "cluster/broker/detail/frame_pool.h"
#include "cluster/broker/kafka_server.h"
#include "cluster/broker/metadata_cache.h"
#include "cluster/broker/replica_manager.h"
#include "cluster/broker/request_dispatcher.h"
#include "cluster/protocol/codec.h"
#include "cluster/protocol/messages.h"
#include "cluster/record/batch_view.h"
#include "cluster/record/record.h"
#include "common/byte_order.h"

namespace meridian::broker {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::ip::tcp;

// With a replication factor of 1 the ISR never changes; any proposal would be a bug.
class NoIsrChanges : public replication::IsrWriter {
 public:
  asio::awaitable<Result<int32_t>> write_isr(const std::string&, PartitionId,
                                             replication::PartitionState) override {
    ADD_FAILURE() << "unexpected ISR change with RF=1";
    co_return std::make_error_code(std::errc::operation_not_permitted);
  }
};

class SingleBrokerTest : public ::testing::Test {
 protected:
  static constexpr int kPartitions = 3;
  static constexpr int64_t kTopicSegmentBytes = 1024;

  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("meridian-single-broker-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    ReplicaManagerOptions options;
    options.self = BrokerId(1);
    options.log_dir = dir_;
    // Topic configs as the broker reads them from the store (broker.cc): tiny segments.
    options.blocking = io_.get_executor();
    options.config_of = [base = options](const std::string&) {
      log::LogConfig log_config = base.log_config;
      log_config.segment_bytes = kTopicSegmentBytes;
      return std::optional(std::pair{log_config, base.partition_config});
    };
    replicas_ = std::make_unique<ReplicaManager>(io_.get_executor(), options, isr_writer_,
                                                 [this](replication::DataEvent event) {
                                                   dispatcher_->notify_data(event);
                                                 });
    dispatcher_ = std::make_unique<RequestDispatcher>(DispatcherOptions{BrokerId(1)}, *replicas_,
                                                      metadata_);
    KafkaServerOptions server_options;
    server_options.port = 0;
    server_ = std::make_unique<KafkaServer>(io_, server_options, *dispatcher_);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
    publish_metadata();
    become_leader_over_the_wire();
  }

  void TearDown() override {
    asio::co_spawn(io_, replicas_->stop_all(), asio::use_future).get();
    asio::post(io_, [this] { server_->stop(); });
    work_.reset();
    io_.stop();
    thread_.join();
    fs::remove_all(dir_);
  }

  void publish_metadata() {
    ClusterMetadata m;
    m.cluster_id = "meridian-test";
    m.controller_id = BrokerId(1);
    m.brokers.push_back({BrokerId(1), "127.0.0.1", server_->port(), std::nullopt});
    TopicInfo topic;
    for (int i = 0; i < kPartitions; ++i) {
      topic.partitions.push_back({BrokerId(1), LeaderEpoch(0), {BrokerId(1)}, {BrokerId(1)}, {}});
    }
    m.topics["test"] = topic;
    metadata_.publish(m);
  }

  // Sends one request frame and returns the response payload after the correlation id.
  template <class Request>
  std::vector<uint8_t> round_trip(const Request& request, int16_t version) {
    asio::io_context client;
    tcp::socket s(client);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    protocol::RequestHeader header;
    header.api_version = version;
    header.correlation_id = 42;
    header.client_id = "test";
    auto frame = protocol::encode_request_frame(header, request).value();
    asio::write(s, asio::buffer(frame));
    uint8_t prefix[4];
    asio::read(s, asio::buffer(prefix));
    std::vector<uint8_t> payload(static_cast<size_t>(load_be<int32_t>(prefix)));
    asio::read(s, asio::buffer(payload));
    EXPECT_EQ(load_be<int32_t>(payload.data()), 42);
    return {payload.begin() + 4, payload.end()};
  }

  void become_leader_over_the_wire() {
    protocol::LeaderAndIsrRequest request;
    request.controller_id = 1;
    request.controller_epoch = 1;
    for (int i = 0; i < kPartitions; ++i) {
      protocol::LeaderAndIsrRequest::PartitionState s;
      s.topic_name = "test";
      s.partition_index = i;
      s.controller_epoch = 1;
      s.leader = 1;
      s.isr = {1};
      s.replicas = {1};
      request.ungrouped_partition_states.push_back(s);
    }
    auto body = round_trip(request, 1);
    auto response = protocol::decode<protocol::LeaderAndIsrResponse>(body, 1).value();
    ASSERT_EQ(response.error_code, protocol::ErrorCode::kNone);
    ASSERT_EQ(response.partition_errors.size(), static_cast<size_t>(kPartitions));
    for (const auto& e : response.partition_errors) {
      EXPECT_EQ(e.error_code, protocol::ErrorCode::kNone);
    }
  }

  static int run_python(const std::string& script, uint16_t port, std::string& output) {
    std::string command = "/usr/bin/python3 " + std::string(MERIDIAN_SOURCE_DIR) +
                          "/tests/integration/broker_single/" + script + " 127.0.0.1:" +
                          std::to_string(port) + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
      return -1;
    }
    char buffer[4096];
    while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) {
      output += buffer;
    }
    int status = ::pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  fs::path dir_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  NoIsrChanges isr_writer_;
  MetadataCache metadata_;
  std::unique_ptr<ReplicaManager> replicas_;
  std::unique_ptr<RequestDispatcher> dispatcher_;
  std::unique_ptr<KafkaServer> server_;
  std::thread thread_;
};

// The Fetch answer reads each partition's records from the log straight into the response
// frame (request_dispatcher_data.cc): every partition gets exactly its own bytes, next to
// partitions with an error or nothing to return, and max_bytes still caps the answer.
TEST_F(SingleBrokerTest, FetchOfManyPartitionsReturnsEachPartitionsOwnRecords) {
  protocol::ProduceRequest produce;
  produce.acks = 1;
  produce.topics.push_back({"test", {}});
  std::vector<size_t> batch_sizes;
  for (int p = 0; p < kPartitions; ++p) {
    record::RecordBatchBuilder builder;
    for (int i = 0; i <= p * 40; ++i) {
      builder.append(1000 + i, std::nullopt,
                     "p" + std::to_string(p) + "-r" + std::to_string(i) + std::string(100, 'v'));
    }
    auto batch = std::move(builder).build().value();
    batch_sizes.push_back(batch.size());
    produce.topics[0].partitions.push_back({p, std::move(batch)});
  }
  auto produced = protocol::decode<protocol::ProduceResponse>(round_trip(produce, 7), 7).value();
  for (const auto& p : produced.responses.at(0).partitions) {
    ASSERT_EQ(p.error_code, protocol::ErrorCode::kNone) << p.index;
  }
  auto fetch_all = [this](int32_t max_bytes) {
    protocol::FetchRequest fetch;
    fetch.max_wait_ms = 0;
    fetch.min_bytes = 1;
    fetch.max_bytes = max_bytes;
    fetch.topics.push_back({"test", {}});
    for (int32_t p : {2, 7, 0, 1}) {  // 7 does not exist
      protocol::FetchRequest::Partition part;
      part.partition = p;
      part.partition_max_bytes = 1 << 20;
      fetch.topics[0].partitions.push_back(part);
    }
    fetch.topics.push_back({"missing-topic", {{0, -1, 0, -1, 1 << 20}}});
    return protocol::decode<protocol::FetchResponse>(round_trip(fetch, 11), 11).value();
  };
  auto response = fetch_all(64 << 20);
  ASSERT_EQ(response.responses.size(), 2u);
  const auto& parts = response.responses[0].partitions;
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[1].partition_index, 7);
  EXPECT_NE(parts[1].error_code, protocol::ErrorCode::kNone);
  EXPECT_TRUE(parts[1].records && parts[1].records->empty());
  EXPECT_NE(response.responses[1].partitions.at(0).error_code, protocol::ErrorCode::kNone);
  for (size_t i : {0u, 2u, 3u}) {
    const auto& part = parts[i];
    ASSERT_EQ(part.error_code, protocol::ErrorCode::kNone) << part.partition_index;
    ASSERT_TRUE(part.records.has_value());
    ASSERT_EQ(part.records->size(), batch_sizes[static_cast<size_t>(part.partition_index)]);
    auto view = record::BatchView::parse(*part.records).value();
    EXPECT_TRUE(view.crc_valid()) << part.partition_index;
    EXPECT_EQ(view.records_count(), part.partition_index * 40 + 1);
    std::string prefix = "p" + std::to_string(part.partition_index) + "-r";
    std::string bytes(part.records->begin(), part.records->end());
    EXPECT_NE(bytes.find(prefix + "0"), std::string::npos) << part.partition_index;
    for (int other = 0; other < kPartitions; ++other) {
      if (other != part.partition_index) {
        EXPECT_EQ(bytes.find("p" + std::to_string(other) + "-r"), std::string::npos);
      }
    }
  }
  // A budget that the first partition (2) already exceeds: KIP-74 still returns it, and
  // nothing after it.
  auto capped = fetch_all(100);
  const auto& capped_parts = capped.responses[0].partitions;
  ASSERT_EQ(capped_parts.size(), 4u);
  EXPECT_EQ(capped_parts[0].records->size(), batch_sizes[2]);
  EXPECT_TRUE(capped_parts[2].records->empty());
  EXPECT_TRUE(capped_parts[3].records->empty());
}

// Fetch answers are built in frames reused from detail::FramePool, which hold stale bytes of
// earlier answers (no zero-fill): with the pool full of 0xAB-poisoned frames, every batch comes
// back byte-identical to what was produced, across segment rolls (1 KiB segments here), and the
// written answers go back to the pool for the next fetch.
TEST_F(SingleBrokerTest, FetchFromReusedPoisonedFramesReturnsExactBatches) {
  auto& pool = detail::FramePool::instance();
  for (size_t i = 0; i < detail::FramePool::kMaxFrames; ++i) {
    pool.give(std::vector<uint8_t>(detail::FramePool::kMinBytes * (i + 2), 0xAB));
  }
  std::vector<std::vector<uint8_t>> produced;
  for (int b = 0; b < 6; ++b) {
    record::RecordBatchBuilder builder;
    for (int i = 0; i < 100 + b * 50; ++i) {
      std::string value = std::to_string(b * 1000 + i);  // unique per record
      value.append(700, static_cast<char>('a' + b));
      builder.append(1000 + i, std::nullopt, value);
    }
    produced.push_back(std::move(builder).build().value());
    protocol::ProduceRequest produce;
    produce.acks = 1;
    produce.topics.push_back({"test", {{1, produced.back()}}});
    auto answer = protocol::decode<protocol::ProduceResponse>(round_trip(produce, 7), 7).value();
    ASSERT_EQ(answer.responses.at(0).partitions.at(0).error_code, protocol::ErrorCode::kNone);
  }
  int64_t offset = 0;
  size_t next = 0;
  for (int round = 0; round < 20 && next < produced.size(); ++round) {
    protocol::FetchRequest fetch;
    fetch.max_wait_ms = 0;
    fetch.min_bytes = 1;
    fetch.max_bytes = 64 << 20;
    fetch.topics.push_back({"test", {{1, -1, offset, -1, 8 << 20}}});
    auto answer = protocol::decode<protocol::FetchResponse>(round_trip(fetch, 11), 11).value();
    const auto& part = answer.responses.at(0).partitions.at(0);
    ASSERT_EQ(part.error_code, protocol::ErrorCode::kNone);
    ASSERT_TRUE(part.records && !part.records->empty());
    std::span<const uint8_t> rest = *part.records;
    while (!rest.empty() && next < produced.size()) {
      auto view = record::BatchView::parse(rest).value();
      ASSERT_TRUE(view.crc_valid()) << "batch " << next;
      const auto& want = produced[next];
      ASSERT_GE(rest.size(), want.size());
      // The broker stamps the base offset and leader epoch (bytes 0-7, 12-15); from the CRC on
      // the batch is the producer's.
      constexpr size_t kFromCrc = 17;
      EXPECT_TRUE(std::equal(want.begin() + kFromCrc, want.end(), rest.begin() + kFromCrc))
          << "batch " << next;
      offset = view.next_offset().value;
      rest = rest.subspan(want.size());
      ++next;
    }
  }
  EXPECT_EQ(next, produced.size());
  EXPECT_GE(pool.pooled(), 1u);  // written answers came back
}

// Long polls wake on their own events (request_dispatcher.h): a follower's fetch (replica_id set)
// is answered by the leader's append long before its max wait, while a consumer's fetch of the
// same partition keeps waiting until the followers' fetches move the HW, then is answered too.
TEST_F(SingleBrokerTest, FollowerFetchWakesOnAppendConsumerFetchOnHwMove) {
  using Clock = std::chrono::steady_clock;
  constexpr int32_t kMaxWaitMs = 8000;
  protocol::LeaderAndIsrRequest lai;
  lai.controller_id = 1;
  lai.controller_epoch = 1;
  protocol::LeaderAndIsrRequest::PartitionState state;
  state.topic_name = "rep";
  state.controller_epoch = 1;
  state.leader = 1;
  state.isr = {1, 2, 3};
  state.replicas = {1, 2, 3};
  lai.ungrouped_partition_states.push_back(state);
  auto lai_response = protocol::decode<protocol::LeaderAndIsrResponse>(round_trip(lai, 1), 1);
  ASSERT_TRUE(lai_response && lai_response->error_code == protocol::ErrorCode::kNone);
  auto fetch = [this](int32_t replica_id, int64_t offset, int32_t max_wait_ms) {
    protocol::FetchRequest request;
    request.replica_id = replica_id;
    request.max_wait_ms = max_wait_ms;
    request.min_bytes = 1;
    request.max_bytes = 1 << 20;
    protocol::FetchRequest::Partition part;
    part.fetch_offset = offset;
    part.partition_max_bytes = 1 << 20;
    request.topics.push_back({"rep", {part}});
    auto r = protocol::decode<protocol::FetchResponse>(round_trip(request, 11), 11).value();
    return std::pair{r, Clock::now()};
  };
  auto records_of = [](const protocol::FetchResponse& r) {
    EXPECT_EQ(r.responses.at(0).partitions.at(0).error_code, protocol::ErrorCode::kNone);
    const auto& records = r.responses.at(0).partitions.at(0).records;
    return records ? records->size() : size_t{0};
  };
  auto consumer = std::async(std::launch::async, fetch, -1, 0, kMaxWaitMs);
  auto follower = std::async(std::launch::async, fetch, 2, 0, kMaxWaitMs);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(follower.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  protocol::ProduceRequest produce;
  produce.acks = 1;
  record::RecordBatchBuilder builder;
  builder.append(1000, std::nullopt, std::string(200, 'r'));
  auto batch = std::move(builder).build().value();
  const size_t batch_bytes = batch.size();
  produce.topics.push_back({"rep", {{0, std::move(batch)}}});
  auto produced = protocol::decode<protocol::ProduceResponse>(round_trip(produce, 7), 7).value();
  ASSERT_EQ(produced.responses.at(0).partitions.at(0).error_code, protocol::ErrorCode::kNone);
  auto appended_at = Clock::now();
  auto [follower_answer, follower_at] = follower.get();
  EXPECT_EQ(records_of(follower_answer), batch_bytes);
  EXPECT_LT(follower_at - appended_at, std::chrono::milliseconds(kMaxWaitMs / 2))
      << "the follower's fetch ran into its max wait instead of waking on the append";
  // The HW is still 0 (broker 3 never fetched): the consumer sees nothing yet.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(consumer.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  EXPECT_EQ(records_of(fetch(2, 1, 0).first), 0u);
  EXPECT_EQ(records_of(fetch(3, 1, 0).first), 0u);  // both followers at LEO 1: HW 0 -> 1
  auto hw_moved_at = Clock::now();
  auto [consumer_answer, consumer_at] = consumer.get();
  EXPECT_EQ(records_of(consumer_answer), batch_bytes);
  EXPECT_LT(consumer_at - hw_moved_at, std::chrono::milliseconds(kMaxWaitMs / 2))
      << "the consumer's fetch ran into its max wait instead of waking on the HW move";
}

// A partition opens with its topic's config (ReplicaManagerOptions::config_of), not the broker
// default it would keep until the ConfigApplier's next pass: the second append already rolls.
TEST_F(SingleBrokerTest, NewPartitionOpensWithItsTopicConfig) {
  for (int round = 0; round < 2; ++round) {
    protocol::ProduceRequest produce;
    produce.acks = 1;
    record::RecordBatchBuilder builder;
    for (int i = 0; i < 20; ++i) {
      builder.append(1000 + i, std::nullopt, std::string(100, 'v'));
    }
    produce.topics.push_back({"test", {{0, std::move(builder).build().value()}}});
    auto produced = protocol::decode<protocol::ProduceResponse>(round_trip(produce, 7), 7).value();
    ASSERT_EQ(produced.responses.at(0).partitions.at(0).error_code, protocol::ErrorCode::kNone);
  }
  int segments = 0;
  for (const auto& entry : fs::directory_iterator(log::partition_dir(dir_, "test", PartitionId(0)))) {
    segments += entry.path().extension() == ".log" ? 1 : 0;
  }
  EXPECT_EQ(segments, 2) << "a batch above segment.bytes=" << kTopicSegmentBytes
                         << " must roll the segment before the next append";
}

TEST_F(SingleBrokerTest, StaleControllerEpochIsFenced) {
  protocol::LeaderAndIsrRequest request;
  request.controller_id = 2;
  request.controller_epoch = 0;  // older than the epoch 1 accepted in SetUp
  auto body = round_trip(request, 1);
  auto response = protocol::decode<protocol::LeaderAndIsrResponse>(body, 1).value();
  EXPECT_EQ(response.error_code, protocol::ErrorCode::kStaleControllerEpoch);
}

TEST_F(SingleBrokerTest, UnknownApiClosesOnlyThatConnection) {
  asio::io_context client;
  tcp::socket s(client);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  // api_key 999, version 0, correlation 1, client id null.
  uint8_t frame[] = {0, 0, 0, 10, 0x03, 0xE7, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF};
  asio::write(s, asio::buffer(frame));
  uint8_t byte;
  boost::system::error_code ec;
  asio::read(s, asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  // The broker still serves.
  protocol::MetadataRequest metadata;
  auto body = round_trip(metadata, 1);
  auto response = protocol::decode<protocol::MetadataResponse>(body, 1).value();
  ASSERT_EQ(response.topics.size(), 1u);
  EXPECT_EQ(response.topics[0].partitions.size(), static_cast<size_t>(kPartitions));
}

TEST_F(SingleBrokerTest, KafkaPythonProducesAndConsumesEveryRecord) {
  std::string output;
  int status = run_python("kafka_python_roundtrip.py", server_->port(), output);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("b'Hello, Kafka!'"), std::string::npos) << output;
  EXPECT_NE(output.find("consumed 300 of 300 produced, 0 missing, 0 duplicated"),
            std::string::npos)
      << output;
  EXPECT_GE(dispatcher_->counters().records_produced.load(), 301u);
}

}  // namespace
}  // namespace meridian::broker
