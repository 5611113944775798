// Client and Connection against a real in-process broker (tests/support/in_process_broker.h):
// version negotiation, produce/fetch with every codec, acks, list offsets, pipelining, leader
// changes, connection loss and reconnection, and the admin error path.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <set>

#include "cluster/client/connection.h"
#include "cluster/protocol/messages.h"
#include "cluster/record/record.h"
#include "tests/integration/client/client_fixture.h"

namespace meridian::client {
namespace {

std::vector<uint8_t> make_batch(int count, const std::string& prefix,
                                record::Compression codec = record::Compression::kNone,
                                int64_t timestamp = 1700000000000) {
  record::BatchOptions options;
  options.compression = codec;
  record::RecordBatchBuilder builder(options);
  for (int i = 0; i < count; ++i) {
    std::string value = prefix + std::to_string(i);
    std::string key = "key" + std::to_string(i);
    builder.append(timestamp + i, key, value);
  }
  return std::move(builder).build().value();
}

std::vector<record::Record> decode_all(const std::vector<uint8_t>& bytes) {
  std::vector<record::Record> out;
  std::span<const uint8_t> rest(bytes);
  while (!rest.empty()) {
    auto batch = record::BatchView::parse(rest);
    if (!batch) {
      break;
    }
    auto records = record::decode_records(*batch).value();
    out.insert(out.end(), records.begin(), records.end());
    rest = rest.subspan(batch->size_bytes());
  }
  return out;
}

using ClientTest = ClientFixture;

TEST_F(ClientTest, ConnectionNegotiatesHighestCommonVersions) {
  run([this]() -> asio::awaitable<void> {
    ConnectionOptions o;
    std::string host = "127.0.0.1";
    auto conn = co_await Connection::connect(io_.get_executor(), host, broker_->port(), o);
    EXPECT_TRUE(conn.has_value()) << conn.error().message();
    if (!conn) {
      co_return;
    }
    EXPECT_EQ((*conn)->versions().at(protocol::ApiKey::kProduce), 8);
    EXPECT_EQ((*conn)->versions().at(protocol::ApiKey::kFetch), 11);
    EXPECT_EQ((*conn)->versions().at(protocol::ApiKey::kMetadata), 8);
    auto v = (*conn)->pick_version(protocol::ApiKey::kFetch, 0, 4);
    EXPECT_EQ(v.value(), 4);
    auto none = (*conn)->pick_version(static_cast<protocol::ApiKey>(999), 0, 3);
    EXPECT_EQ(none.error(), errc::no_common_version);
    protocol::MetadataRequest request;
    auto response = co_await (*conn)->request(request);
    EXPECT_TRUE(response.has_value());
    EXPECT_EQ(response->topics.size(), 1u);
  });
}

TEST_F(ClientTest, MetadataListsBrokersAndLeaders) {
  Client client(io_.get_executor(), options());
  run([&]() -> asio::awaitable<void> {
    std::vector<std::string> topics{"t"};
    auto md = co_await client.metadata(topics);
    EXPECT_TRUE(md.has_value());
    if (!md) {
      co_return;
    }
    EXPECT_EQ((*md)->brokers.size(), 1u);
    EXPECT_EQ((*md)->brokers.at(BrokerId(1)).port, broker_->port());
    EXPECT_EQ((*md)->topics.at("t").partitions.size(), 3u);
    EXPECT_EQ((*md)->partition("t", PartitionId(2))->leader, BrokerId(1));
    EXPECT_EQ(client.cached_metadata(), *md);
  });
}

TEST_F(ClientTest, ProduceFetchRoundTripWithEveryCodec) {
  Client client(io_.get_executor(), options());
  run([&]() -> asio::awaitable<void> {
    const record::Compression codecs[] = {record::Compression::kNone, record::Compression::kGzip,
                                          record::Compression::kSnappy, record::Compression::kLz4,
                                          record::Compression::kZstd};
    int64_t expected_base = 0;
    for (auto codec : codecs) {
      std::string prefix = std::string(record::compression_name(codec)) + "-";
      std::vector<uint8_t> batch = make_batch(10, prefix, codec);
      std::string topic = "t";
      PartitionId p0(0);
      auto timeout = std::chrono::milliseconds(5000);
      auto produced = co_await client.produce(topic, p0, std::move(batch), Acks::kAll, timeout);
      EXPECT_TRUE(produced.has_value()) << prefix << produced.error().message();
      if (!produced) {
        co_return;
      }
      EXPECT_EQ(produced->base_offset.value, expected_base);
      Offset from(expected_base);
      auto wait = std::chrono::milliseconds(0);
      auto fetched = co_await client.fetch(topic, p0, from, 1 << 20, wait);
      EXPECT_TRUE(fetched.has_value());
      if (!fetched) {
        co_return;
      }
      EXPECT_EQ(fetched->high_watermark.value, expected_base + 10);
      EXPECT_EQ(fetched->log_start_offset.value, 0);
      auto records = decode_all(fetched->records);
      EXPECT_EQ(records.size(), 10u) << prefix;
      for (size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(records[i].offset.value, expected_base + static_cast<int64_t>(i));
        EXPECT_EQ(records[i].value, prefix + std::to_string(i));
      }
      expected_base += 10;
    }
  });
}

TEST_F(ClientTest, AcksNoneLeaderAndAll) {
  Client client(io_.get_executor(), options());
  run([&]() -> asio::awaitable<void> {
    std::string topic = "t";
    PartitionId p1(1);
    auto timeout = std::chrono::milliseconds(5000);
    const Acks modes[] = {Acks::kLeader, Acks::kAll, Acks::kNone};
    for (auto acks : modes) {
      std::vector<uint8_t> batch = make_batch(2, "acks");
      auto produced = co_await client.produce(topic, p1, std::move(batch), acks, timeout);
      EXPECT_TRUE(produced.has_value());
      if (acks == Acks::kNone) {
        EXPECT_EQ(produced->base_offset.value, -1);  // nothing is answered
      } else {
        EXPECT_GE(produced->base_offset.value, 0);
      }
    }
    // The acks=0 batch is appended even though nobody waited for it.
    int64_t latest = -1;
    for (int i = 0; i < 100 && latest != 6; ++i) {
      auto end = co_await client.list_offsets(topic, p1, kLatestTimestamp);
      EXPECT_TRUE(end.has_value());
      latest = end ? end->offset.value : -1;
      if (latest != 6) {
        co_await sleep_ms(10);
      }
    }
    EXPECT_EQ(latest, 6);
  });
}

TEST_F(ClientTest, ListOffsetsEarliestLatestAndByTime) {
  Client client(io_.get_executor(), options());
  run([&]() -> asio::awaitable<void> {
    std::string topic = "t";
    PartitionId p2(2);
    auto timeout = std::chrono::milliseconds(5000);
    std::vector<uint8_t> first = make_batch(5, "a", record::Compression::kNone, 1000);
    std::vector<uint8_t> second = make_batch(5, "b", record::Compression::kNone, 2000);
    auto r1 = co_await client.produce(topic, p2, std::move(first), Acks::kAll, timeout);
    auto r2 = co_await client.produce(topic, p2, std::move(second), Acks::kAll, timeout);
    EXPECT_TRUE(r1 && r2);
    auto earliest = co_await client.list_offsets(topic, p2, kEarliestTimestamp);
    auto latest = co_await client.list_offsets(topic, p2, kLatestTimestamp);
    auto by_time = co_await client.list_offsets(topic, p2, 2002);
    EXPECT_EQ(earliest.value().offset.value, 0);
    EXPECT_EQ(latest.value().offset.value, 10);
    EXPECT_EQ(by_time.value().offset.value, 7);
  });
}

TEST_F(ClientTest, UnknownTopicIsAClearError) {
  Client client(io_.get_executor(), options());
  run([&]() -> asio::awaitable<void> {
    std::string topic = "missing";
    PartitionId p0(0);
    auto timeout = std::chrono::milliseconds(1000);
    std::vector<uint8_t> batch = make_batch(1, "x");
    auto produced = co_await client.produce(topic, p0, std::move(batch), Acks::kAll, timeout);
    EXPECT_EQ(produced.error(), errc::unknown_topic);
    std::string t = "t";
    PartitionId p9(9);
    auto wait = std::chrono::milliseconds(0);
    Offset zero(0);
    auto fetched = co_await client.fetch(t, p9, zero, 1024, wait);
    EXPECT_EQ(fetched.error(), errc::unknown_partition);
  });
}

TEST_F(ClientTest, PipelinedProducesOnOneConnectionAllComplete) {
  ClientOptions o = options();
  o.max_in_flight_per_connection = 8;  // also exercises the in-flight bound
  Client client(io_.get_executor(), o);
  constexpr int kRequests = 200;
  run([&]() -> asio::awaitable<void> {
    // Warm up so every request shares the one leader connection.
    std::vector<std::string> topics{"t"};
    auto md = co_await client.metadata(topics);
    EXPECT_TRUE(md.has_value());
    int done = 0;
    std::vector<int64_t> offsets;
    for (int i = 0; i < kRequests; ++i) {
      auto one = [&client, &done, &offsets, i]() -> asio::awaitable<void> {
        std::string topic = "t";
        PartitionId p0(0);
        auto timeout = std::chrono::milliseconds(5000);
        std::vector<uint8_t> batch = make_batch(1, "p" + std::to_string(i));
        auto produced = co_await client.produce(topic, p0, std::move(batch), Acks::kAll, timeout);
        EXPECT_TRUE(produced.has_value()) << produced.error().message();
        if (produced) {
          offsets.push_back(produced->base_offset.value);
        }
        ++done;
      };
      asio::co_spawn(io_, std::move(one), asio::detached);
    }
    for (int i = 0; i < 1000 && done < kRequests; ++i) {
      co_await sleep_ms(10);
    }
    EXPECT_EQ(done, kRequests);
    std::sort(offsets.begin(), offsets.end());
    EXPECT_EQ(offsets.size(), static_cast<size_t>(kRequests));
    for (int i = 0; i < kRequests && offsets.size() == static_cast<size_t>(kRequests); ++i) {
      EXPECT_EQ(offsets[static_cast<size_t>(i)], i);
    }
    BrokerId b1(1);
    auto conn = co_await client.connection(b1);
    EXPECT_TRUE(conn.has_value());
    EXPECT_EQ((*conn)->in_flight(), 0u);
    // Requests really overlapped on the wire, and never beyond the bound.
    EXPECT_GT((*conn)->peak_in_flight(), 1u);
    EXPECT_LE((*conn)->peak_in_flight(), 8u);
  });
  EXPECT_EQ(broker_->dispatcher().counters().records_produced.load(),
            static_cast<uint64_t>(kRequests));
}

TEST_F(ClientTest, ConnectionLossFailsPendingRequestsAndRestartReconnects) {
  Client client(io_.get_executor(), options());
  run([&]() -> asio::awaitable<void> {
    ConnectionOptions o;
    std::string host = "127.0.0.1";
    auto conn = co_await Connection::connect(io_.get_executor(), host, broker_->port(), o);
    EXPECT_TRUE(conn.has_value());
    if (!conn) {
      co_return;
    }
    // A long-poll fetch on an empty partition stays pending until the server goes away.
    std::optional<Result<protocol::FetchResponse>> outcome;
    auto pending = [&outcome, c = *conn]() -> asio::awaitable<void> {
      protocol::FetchRequest request;
      request.max_wait_ms = 5000;
      request.min_bytes = 1;
      protocol::FetchRequest::Partition p;
      p.partition = 2;
      p.partition_max_bytes = 1024;
      request.topics.push_back({"t", {p}});
      outcome = co_await c->request(request);
    };
    asio::co_spawn(io_, std::move(pending), asio::detached);
    co_await sleep_ms(100);
    EXPECT_FALSE(outcome.has_value());
    broker_->stop_server();
    for (int i = 0; i < 200 && !outcome; ++i) {
      co_await sleep_ms(10);
    }
    EXPECT_TRUE(outcome.has_value());
    if (outcome) {
      EXPECT_EQ(outcome->error(), errc::disconnected);
    }
    EXPECT_FALSE((*conn)->is_open());
    protocol::MetadataRequest after;
    auto refused = co_await (*conn)->request(after);
    EXPECT_EQ(refused.error(), errc::disconnected);

    // The client fails over the outage with a clear error, then reconnects on restart.
    std::string topic = "t";
    PartitionId p0(0);
    auto timeout = std::chrono::milliseconds(2000);
    std::vector<uint8_t> down_batch = make_batch(1, "down");
    auto down = co_await client.produce(topic, p0, std::move(down_batch), Acks::kAll, timeout);
    EXPECT_FALSE(down.has_value());
    broker_->restart_server();
    std::vector<uint8_t> up_batch = make_batch(1, "up");
    auto up = co_await client.produce(topic, p0, std::move(up_batch), Acks::kAll, timeout);
    EXPECT_TRUE(up.has_value()) << up.error().message();
  });
}

TEST_F(ClientTest, RequestTimeoutIsReported) {
  run([this]() -> asio::awaitable<void> {
    ConnectionOptions o;
    o.request_timeout = std::chrono::milliseconds(200);
    std::string host = "127.0.0.1";
    auto conn = co_await Connection::connect(io_.get_executor(), host, broker_->port(), o);
    EXPECT_TRUE(conn.has_value());
    if (!conn) {
      co_return;
    }
    protocol::FetchRequest request;
    request.max_wait_ms = 3000;  // the broker holds it longer than our timeout
    request.min_bytes = 1;
    protocol::FetchRequest::Partition p;
    p.partition = 2;
    p.partition_max_bytes = 1024;
    request.topics.push_back({"t", {p}});
    auto outcome = co_await (*conn)->request(request);
    EXPECT_EQ(outcome.error(), errc::request_timeout);
  });
}

TEST_F(ClientTest, CreateAndDeleteTopicsReachTheBrokersAdmin) {
  Client client(io_.get_executor(), options());
  run([&]() -> asio::awaitable<void> {
    auto timeout = std::chrono::milliseconds(1000);
    std::vector<NewTopic> topics{{"created", 3, 1, {{"retention.ms", "1000"}}}};
    auto created = co_await client.create_topics(topics, timeout);
    EXPECT_TRUE(created.has_value()) << created.error().message();
    if (created) {
      EXPECT_EQ(created->size(), 1u);
      EXPECT_EQ(created->at(0).name, "created");
      EXPECT_FALSE(created->at(0).error) << created->at(0).error.message();
    }
    EXPECT_EQ(broker_->admin_topics(), (std::set<std::string>{"created"}));
    auto again = co_await client.create_topics(std::move(topics), timeout);
    EXPECT_TRUE(again.has_value());
    if (again) {
      EXPECT_EQ(as_kafka_error(again->at(0).error), protocol::ErrorCode::kTopicAlreadyExists);
    }
    std::vector<std::string> names{"created", "ghost"};
    auto deleted = co_await client.delete_topics(std::move(names), timeout);
    EXPECT_TRUE(deleted.has_value());
    if (deleted) {
      EXPECT_EQ(deleted->size(), 2u);
      for (const auto& r : *deleted) {
        if (r.name == "created") {
          EXPECT_FALSE(r.error);
        } else {
          EXPECT_EQ(as_kafka_error(r.error), protocol::ErrorCode::kUnknownTopicOrPartition);
        }
      }
    }
    EXPECT_TRUE(broker_->admin_topics().empty());
    // With the cluster gone the admin call fails with a client error, not a hang.
    broker_->stop_server();
    std::vector<std::string> more{"x"};
    auto unreachable = co_await client.delete_topics(std::move(more), timeout);
    EXPECT_FALSE(unreachable.has_value());
    if (!unreachable) {
      EXPECT_EQ(unreachable.error().category(), error_category()) << unreachable.error().message();
    }
    broker_->restart_server();
  });
}

TEST_F(ClientTest, BadBootstrapIsRejected) {
  ClientOptions o = options();
  o.bootstrap_servers = "no-port-here";
  Client client(io_.get_executor(), o);
  run([&]() -> asio::awaitable<void> {
    std::vector<std::string> none;
    auto md = co_await client.metadata(none);
    EXPECT_EQ(md.error(), errc::bad_bootstrap);
  });
}

// Two brokers: the partition moves from 1 to 2 by LeaderAndIsr; the client's cached leader
// answers NOT_LEADER_OR_FOLLOWER and the client refreshes metadata and follows.
TEST_F(ClientTest, FollowsLeaderAfterNotLeader) {
  testing::InProcessBroker second(BrokerId(2));
  broker_->add_peer(second);
  second.add_peer(*broker_);
  broker_->create_topic("moving", 1);
  Client client(io_.get_executor(), options());
  run([&]() -> asio::awaitable<void> {
    std::string topic = "moving";
    PartitionId p0(0);
    auto timeout = std::chrono::milliseconds(5000);
    std::vector<uint8_t> before = make_batch(3, "before");
    auto r1 = co_await client.produce(topic, p0, std::move(before), Acks::kAll, timeout);
    EXPECT_TRUE(r1.has_value());
    EXPECT_EQ(client.cached_metadata()->partition("moving", p0)->leader, BrokerId(1));
    // Broker 2 becomes leader (epoch 1); broker 1 is told it is now a follower.
    second.leader_and_isr("moving", 0, BrokerId(2), LeaderEpoch(1));
    broker_->leader_and_isr("moving", 0, BrokerId(2), LeaderEpoch(1));
    std::vector<uint8_t> after = make_batch(2, "after");
    auto r2 = co_await client.produce(topic, p0, std::move(after), Acks::kAll, timeout);
    EXPECT_TRUE(r2.has_value()) << r2.error().message();
    EXPECT_EQ(r2->base_offset.value, 0);  // broker 2's log for the partition starts empty
    EXPECT_EQ(client.cached_metadata()->partition("moving", p0)->leader, BrokerId(2));
  });
  EXPECT_EQ(second.dispatcher().counters().records_produced.load(), 2u);
}

}  // namespace
}  // namespace meridian::client
