// Multi-partition fetch against real in-process brokers (tests/support/in_process_broker.h):
// Client::fetch_partitions returns every partition's records from ONE request, and a partition
// that fails (NOT_LEADER_OR_FOLLOWER, OFFSET_OUT_OF_RANGE, unknown topic) does not lose the
// others; the mirror's SourceFetcher combines concurrent per-partition asks into one request
// per broker, re-routes a moved partition after its error, and long-polls while caught up.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <optional>

#include "cluster/record/batch_view.h"
#include "cluster/record/record.h"
#include "mirror/detail/source_fetcher.h"
#include "tests/integration/client/client_fixture.h"

namespace meridian::client {
namespace {

std::vector<uint8_t> make_batch(int count, const std::string& prefix) {
  record::RecordBatchBuilder builder(record::BatchOptions{});
  for (int i = 0; i < count; ++i) {
    builder.append(1700000000000 + i, "key" + std::to_string(i), prefix + std::to_string(i));
  }
  return std::move(builder).build().value();
}

// Values of every record in `bytes` (whole batches).
std::vector<std::string> values(const std::vector<uint8_t>& bytes) {
  std::vector<std::string> out;
  std::span<const uint8_t> rest(bytes);
  while (!rest.empty()) {
    auto batch = record::BatchView::parse(rest);
    if (!batch) {
      break;
    }
    for (const auto& r : record::decode_records(*batch).value()) {
      out.emplace_back(r.value ? std::string(r.value->begin(), r.value->end()) : "");
    }
    rest = rest.subspan(batch->size_bytes());
  }
  return out;
}

std::vector<std::string> expected(int count, const std::string& prefix) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(prefix + std::to_string(i));
  }
  return out;
}

// One SourceFetcher ask for "t"-`p` at `offset`, arguments bound first (docs/coroutines.md).
asio::awaitable<Result<FetchResult>> ask(mirror::detail::SourceFetcher& fetcher, int32_t p,
                                         int64_t offset) {
  std::string topic = "t";
  PartitionId partition(p);
  Offset at(offset);
  auto r = co_await fetcher.fetch(topic, partition, at, 1 << 20);
  co_return r;
}

using FetchPartitionsTest = ClientFixture;
constexpr auto kTimeout = std::chrono::milliseconds(5000);
constexpr auto kNoWait = std::chrono::milliseconds(0);

// Produces `count` records "p<partition>-<i>" to each partition of "t", count = 3 + 2 * p.
asio::awaitable<void> fill(Client& client) {
  for (int32_t p = 0; p < 3; ++p) {
    std::string topic = "t";
    PartitionId partition(p);
    auto batch = make_batch(3 + 2 * p, "p" + std::to_string(p) + "-");
    auto r = co_await client.produce(topic, partition, std::move(batch), Acks::kAll, kTimeout);
    EXPECT_TRUE(r.has_value()) << r.error().message();
  }
}

TEST_F(FetchPartitionsTest, EveryPartitionArrivesFromOneRequest) {
  Client client(io_.get_executor(), options());
  run([&]() -> asio::awaitable<void> {
    co_await fill(client);
    auto before = broker_->dispatcher().counters().requests.load();
    std::vector<FetchPartition> wanted;
    for (int32_t p = 2; p >= 0; --p) {  // any order; results come in the order asked
      wanted.push_back({"t", PartitionId(p), Offset(0), 1 << 20});
    }
    BrokerId broker(1);
    auto r = co_await client.fetch_partitions(broker, std::move(wanted), 4 << 20, kNoWait);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    if (!r) {
      co_return;
    }
    EXPECT_EQ(broker_->dispatcher().counters().requests.load() - before, 1u);
    EXPECT_EQ(r->size(), 3u);
    for (size_t i = 0; i < r->size(); ++i) {
      const auto& one = (*r)[i];
      int32_t p = 2 - static_cast<int32_t>(i);
      EXPECT_EQ(one.topic, "t");
      EXPECT_EQ(one.partition, PartitionId(p));
      EXPECT_TRUE(one.result.has_value()) << one.result.error().message();
      if (one.result) {
        EXPECT_EQ(values(one.result->records), expected(3 + 2 * p, "p" + std::to_string(p) + "-"));
        EXPECT_EQ(one.result->high_watermark, Offset(3 + 2 * p));
      }
    }
  });
}

TEST_F(FetchPartitionsTest, OnePartitionsErrorLosesNothingOfTheOthers) {
  testing::InProcessBroker second(BrokerId(2));
  broker_->add_peer(second);
  second.add_peer(*broker_);
  broker_->create_topic("u", 1);
  Client client(io_.get_executor(), options());
  run([&]() -> asio::awaitable<void> {
    co_await fill(client);
    std::string u = "u";
    PartitionId u0(0);
    auto batch = make_batch(3, "u-");
    auto produced = co_await client.produce(u, u0, std::move(batch), Acks::kAll, kTimeout);
    EXPECT_TRUE(produced.has_value());
    // t-1 moves to broker 2: broker 1 is now its follower and refuses consumer fetches.
    second.leader_and_isr("t", 1, BrokerId(2), LeaderEpoch(1));
    broker_->leader_and_isr("t", 1, BrokerId(2), LeaderEpoch(1));
    std::vector<FetchPartition> wanted{{"t", PartitionId(1), Offset(0), 1 << 20},
                                       {"t", PartitionId(0), Offset(0), 1 << 20},
                                       {"missing", PartitionId(0), Offset(0), 1 << 20},
                                       {"t", PartitionId(2), Offset(1000), 1 << 20},
                                       {"u", PartitionId(0), Offset(2), 1 << 20}};
    BrokerId broker(1);
    auto r = co_await client.fetch_partitions(broker, std::move(wanted), 4 << 20, kNoWait);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    if (!r || r->size() != 5) {
      ADD_FAILURE() << "expected 5 results";
      co_return;
    }
    EXPECT_EQ((*r)[0].result.error(), kafka_error(protocol::ErrorCode::kNotLeaderOrFollower));
    EXPECT_TRUE((*r)[1].result.has_value());
    if ((*r)[1].result) {
      EXPECT_EQ(values((*r)[1].result->records), expected(3, "p0-"));
    }
    EXPECT_EQ((*r)[2].result.error(),
              kafka_error(protocol::ErrorCode::kUnknownTopicOrPartition));
    EXPECT_EQ((*r)[3].result.error(), kafka_error(protocol::ErrorCode::kOffsetOutOfRange));
    // Offset 2 of a 3-record batch: the whole batch holding it, after the failed partitions.
    EXPECT_TRUE((*r)[4].result.has_value());
    if ((*r)[4].result) {
      EXPECT_EQ(values((*r)[4].result->records), expected(3, "u-"));
      EXPECT_EQ((*r)[4].result->high_watermark, Offset(3));
    }
    std::vector<FetchPartition> none;
    auto empty = co_await client.fetch_partitions(broker, std::move(none), 1 << 20, kNoWait);
    EXPECT_TRUE(empty.has_value() && empty->empty());
    std::vector<FetchPartition> one{{"t", PartitionId(0), Offset(0), 1 << 20}};
    BrokerId nobody(99);
    auto unknown = co_await client.fetch_partitions(nobody, std::move(one), 1 << 20, kNoWait);
    EXPECT_FALSE(unknown.has_value());
  });
}

// Concurrent asks of three partitions leave as ONE request; each gets its own records.
TEST_F(FetchPartitionsTest, SourceFetcherCombinesConcurrentAsks) {
  Client client(io_.get_executor(), options());
  mirror::detail::SourceFetcher fetcher(client, {64 << 20, std::chrono::milliseconds(100)});
  run([&]() -> asio::awaitable<void> {
    co_await fill(client);
    std::vector<std::string> none;
    auto md = co_await client.metadata(std::move(none));
    EXPECT_TRUE(md.has_value());
    std::vector<std::optional<Result<FetchResult>>> got(3);
    for (int32_t p = 0; p < 3; ++p) {
      auto asker = [&fetcher, &got, p]() -> asio::awaitable<void> {
        auto r = co_await ask(fetcher, p, 0);
        got[static_cast<size_t>(p)] = std::move(r);
      };
      asio::co_spawn(io_, std::move(asker), asio::detached);
    }
    for (int i = 0; i < 200 && !(got[0] && got[1] && got[2]); ++i) {
      co_await sleep_ms(10);
    }
    for (int32_t p = 0; p < 3; ++p) {
      const auto& r = got[static_cast<size_t>(p)];
      EXPECT_TRUE(r && r->has_value()) << "partition " << p;
      if (r && *r) {
        EXPECT_EQ(values((*r)->records), expected(3 + 2 * p, "p" + std::to_string(p) + "-"));
      }
    }
    EXPECT_EQ(fetcher.requests(), 1);
    EXPECT_EQ(fetcher.partitions_fetched(), 3);
  });
}

// A partition that moved fails alone; after its error the fetcher has fresh metadata and the
// next ask goes to the new leader.
TEST_F(FetchPartitionsTest, SourceFetcherFollowsAMovedPartition) {
  testing::InProcessBroker second(BrokerId(2));
  broker_->add_peer(second);
  second.add_peer(*broker_);
  Client client(io_.get_executor(), options());
  mirror::detail::SourceFetcher fetcher(client, {64 << 20, std::chrono::milliseconds(100)});
  run([&]() -> asio::awaitable<void> {
    co_await fill(client);
    second.leader_and_isr("t", 2, BrokerId(2), LeaderEpoch(1));
    broker_->leader_and_isr("t", 2, BrokerId(2), LeaderEpoch(1));
    auto moved = co_await ask(fetcher, 2, 0);
    EXPECT_EQ(moved.error(), kafka_error(protocol::ErrorCode::kNotLeaderOrFollower));
    auto other = co_await ask(fetcher, 0, 0);
    EXPECT_TRUE(other.has_value());
    if (other) {
      EXPECT_EQ(values(other->records), expected(3, "p0-"));
    }
    // Broker 2's log of t-2 starts empty; what it gets is what the next fetch returns.
    std::string topic = "t";
    PartitionId p2(2);
    auto batch = make_batch(4, "new-");
    auto produced = co_await client.produce(topic, p2, std::move(batch), Acks::kAll, kTimeout);
    EXPECT_TRUE(produced.has_value());
    auto again = co_await ask(fetcher, 2, 0);
    EXPECT_TRUE(again.has_value()) << again.error().message();
    if (again) {
      EXPECT_EQ(values(again->records), expected(4, "new-"));
    }
  });
}

// Caught up: the request long-polls at the source and returns as soon as a record arrives
// (produced over another connection, as east's producers do: answers of one connection come
// back in order, so a produce behind the long poll on the same connection would wait for it).
TEST_F(FetchPartitionsTest, SourceFetcherLongPollEndsOnNewData) {
  Client client(io_.get_executor(), options());
  Client producer(io_.get_executor(), options());
  mirror::detail::SourceFetcher fetcher(client, {64 << 20, std::chrono::milliseconds(3000)});
  run([&]() -> asio::awaitable<void> {
    co_await fill(client);
    auto start = std::chrono::steady_clock::now();
    std::optional<Result<FetchResult>> got;
    auto asker = [&fetcher, &got]() -> asio::awaitable<void> {
      auto r = co_await ask(fetcher, 1, 5);  // at its end
      got = std::move(r);
    };
    asio::co_spawn(io_, std::move(asker), asio::detached);
    co_await sleep_ms(200);
    EXPECT_FALSE(got.has_value()) << "answered before any data";
    std::string topic = "t";
    PartitionId p1(1);
    auto batch = make_batch(2, "late-");
    auto produced = co_await producer.produce(topic, p1, std::move(batch), Acks::kAll, kTimeout);
    EXPECT_TRUE(produced.has_value());
    for (int i = 0; i < 300 && !got; ++i) {
      co_await sleep_ms(10);
    }
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(got && got->has_value());
    if (got && *got) {
      EXPECT_EQ(values((*got)->records), expected(2, "late-"));
    }
    EXPECT_LT(waited, std::chrono::milliseconds(2500)) << "the long poll ran to its end";
  });
}

}  // namespace
}  // namespace meridian::client
