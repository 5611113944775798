// Producer (batching, murmur2 partitioning, compression, acks) and Consumer (assign, seek,
// poll) against a real in-process broker.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "cluster/client/consumer.h"
#include "cluster/client/partitioner.h"
#include "cluster/client/producer.h"
#include "tests/integration/client/client_fixture.h"

namespace meridian::client {
namespace {

using ProducerConsumerTest = ClientFixture;

// Spawns one send per record and waits until all are answered; returns their metadata in
// send order (nullopt for a failed send).
asio::awaitable<std::vector<std::optional<RecordMetadata>>> send_all(
    Producer& producer, std::vector<ProducerRecord> records) {
  std::vector<std::optional<RecordMetadata>> out(records.size());
  size_t done = 0;
  auto executor = co_await asio::this_coro::executor;
  for (size_t i = 0; i < records.size(); ++i) {
    auto one = [&producer, &out, &done, i, r = std::move(records[i])]() mutable
        -> asio::awaitable<void> {
      ProducerRecord record = std::move(r);
      auto sent = co_await producer.send(std::move(record));
      EXPECT_TRUE(sent.has_value()) << sent.error().message();
      if (sent) {
        out[i] = *sent;
      }
      ++done;
    };
    asio::co_spawn(executor, std::move(one), asio::detached);
  }
  co_await producer.flush();
  asio::steady_timer timer(executor);
  for (int i = 0; i < 2000 && done < out.size(); ++i) {
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(asio::use_awaitable);
  }
  EXPECT_EQ(done, out.size());
  co_return out;
}

TEST_F(ProducerConsumerTest, KeyedRecordsLandInTheMurmur2Partition) {
  Client client(io_.get_executor(), options());
  Producer producer(client, ProducerOptions{});
  run([&]() -> asio::awaitable<void> {
    // From kafka-python's murmur2: with 3 partitions "a" -> 1, "ab" -> 2, "abc" -> 0, "21" -> 0.
    const std::pair<std::string, int32_t> expected[] = {
        {"a", 1}, {"ab", 2}, {"abc", 0}, {"21", 0}, {"abcd", 2}};
    for (const auto& [key, partition] : expected) {
      ProducerRecord record{"t", key, "v-" + key, {}, std::nullopt, std::nullopt};
      auto sent = co_await producer.send(std::move(record));
      EXPECT_TRUE(sent.has_value());
      if (sent) {
        EXPECT_EQ(sent->partition.value, partition) << key;
        EXPECT_EQ(sent->partition.value, partition_for_key(key, 3));
      }
    }
  });
}

TEST_F(ProducerConsumerTest, ConsumerReadsEverythingOnceInOrderForEveryCodec) {
  const record::Compression codecs[] = {record::Compression::kNone, record::Compression::kGzip,
                                        record::Compression::kSnappy, record::Compression::kLz4,
                                        record::Compression::kZstd};
  Client client(io_.get_executor(), options());
  constexpr int kPerCodec = 120;
  int codec_index = 0;
  for (auto codec : codecs) {
    ProducerOptions po;
    po.compression = codec;
    po.linger = std::chrono::milliseconds(5);
    po.batch_size = 2048;  // several batches per partition
    po.acks = codec_index % 2 == 0 ? Acks::kAll : Acks::kLeader;
    Producer producer(client, po);
    run([&]() -> asio::awaitable<void> {
      std::vector<ProducerRecord> records;
      for (int i = 0; i < kPerCodec; ++i) {
        std::string key = "key-" + std::to_string(i % 7);
        std::string value = std::string(record::compression_name(codec)) + "-" + std::to_string(i);
        std::vector<record::Header> headers{{"i", std::to_string(i)}};
        records.push_back({"t", key, value, headers, std::nullopt, std::nullopt});
      }
      auto sent = co_await send_all(producer, std::move(records));
      for (size_t i = 0; i < sent.size(); ++i) {
        EXPECT_TRUE(sent[i].has_value());
        if (sent[i]) {
          std::string key = "key-" + std::to_string(i % 7);
          EXPECT_EQ(sent[i]->partition.value, partition_for_key(key, 3));
        }
      }
    });
    ++codec_index;
  }

  Consumer consumer(client, ConsumerOptions{});
  std::vector<TopicPartition> all;
  for (int p = 0; p < kPartitions; ++p) {
    all.push_back({"t", PartitionId(p)});
  }
  consumer.assign(all);
  std::map<std::string, std::vector<int>> by_key;  // values' sequence numbers per key
  std::map<TopicPartition, int64_t> next_offset;
  size_t total = 0;
  run([&]() -> asio::awaitable<void> {
    for (int round = 0; round < 200 && total < 5 * kPerCodec; ++round) {
      auto timeout = std::chrono::milliseconds(200);
      auto polled = co_await consumer.poll(timeout);
      EXPECT_TRUE(polled.has_value());
      if (!polled) {
        co_return;
      }
      for (const auto& r : *polled) {
        EXPECT_EQ(r.record.offset.value, next_offset[r.tp]) << "gap or duplicate";
        next_offset[r.tp] = r.record.offset.value + 1;
        EXPECT_EQ(r.record.headers.size(), 1u);
        if (r.record.headers.size() != 1 || !r.record.key) {
          continue;
        }
        by_key[*r.record.key].push_back(std::stoi(*r.record.headers[0].value));
        ++total;
      }
    }
    // Nothing more arrives.
    auto timeout = std::chrono::milliseconds(100);
    auto extra = co_await consumer.poll(timeout);
    EXPECT_TRUE(extra.has_value() && extra->empty());
  });
  EXPECT_EQ(total, static_cast<size_t>(5 * kPerCodec));
  for (const auto& [key, seq] : by_key) {
    // 5 codecs × the i's with this key, each codec's run in order.
    EXPECT_EQ(seq.size() % 5, 0u) << key;
    for (size_t i = 1; i < seq.size(); ++i) {
      if (seq[i] < seq[i - 1]) {
        EXPECT_EQ(seq[i], std::stoi(key.substr(4))) << "reordered within key " << key;
      }
    }
  }
  for (int p = 0; p < kPartitions; ++p) {
    TopicPartition tp{"t", PartitionId(p)};
    EXPECT_EQ(consumer.position(tp).value().value, next_offset[tp]);
  }
}

TEST_F(ProducerConsumerTest, SeekIntoTheMiddleOfABatchSkipsEarlierRecords) {
  Client client(io_.get_executor(), options());
  ProducerOptions po;
  po.linger = std::chrono::milliseconds(1000);  // all ten in one batch, sent by flush()
  Producer producer(client, po);
  Consumer consumer(client, ConsumerOptions{});
  run([&]() -> asio::awaitable<void> {
    std::vector<ProducerRecord> records;
    for (int i = 0; i < 10; ++i) {
      records.push_back({"t", std::nullopt, "v" + std::to_string(i), {}, PartitionId(1),
                         std::nullopt});
    }
    auto sent = co_await send_all(producer, std::move(records));
    for (size_t i = 0; i < sent.size(); ++i) {
      EXPECT_EQ(sent[i].value().offset.value, static_cast<int64_t>(i));
    }
    TopicPartition tp{"t", PartitionId(1)};
    std::vector<TopicPartition> one{tp};
    consumer.assign(one);
    consumer.seek(tp, Offset(5));
    auto timeout = std::chrono::milliseconds(500);
    auto polled = co_await consumer.poll(timeout);
    EXPECT_TRUE(polled.has_value());
    if (!polled) {
      co_return;
    }
    EXPECT_EQ(polled->size(), 5u);
    for (size_t i = 0; i < polled->size(); ++i) {
      EXPECT_EQ((*polled)[i].record.offset.value, static_cast<int64_t>(5 + i));
      EXPECT_EQ((*polled)[i].record.value, "v" + std::to_string(5 + i));
    }
    EXPECT_EQ(consumer.position(tp).value().value, 10);
  });
}

TEST_F(ProducerConsumerTest, LongPollWakesForARecordOnAnyAssignedPartition) {
  // Every assigned partition is long-polled at once (one Fetch per leader), so a record on any
  // of them ends the wait. Long-polling one partition at a time sat out fetch_max_wait (4 s
  // here) whenever the record landed on another one.
  Client client(io_.get_executor(), options());
  Client producer_client(io_.get_executor(), options());  // not queued behind the long poll
  Producer producer(producer_client, ProducerOptions{});
  ConsumerOptions co;
  co.fetch_max_wait = std::chrono::milliseconds(4000);
  Consumer consumer(client, co);
  run([&]() -> asio::awaitable<void> {
    std::vector<TopicPartition> all;
    for (int p = 0; p < kPartitions; ++p) {
      all.push_back({"t", PartitionId(p)});
    }
    consumer.assign(all);
    for (const auto& tp : all) {
      consumer.seek(tp, Offset(0));
    }
    for (int round = 0; round < 2 * kPartitions; ++round) {
      const int partition = kPartitions - 1 - round % kPartitions;  // against the rotation
      std::string value = "r";
      value += std::to_string(round);
      auto late = [&producer, value, partition]() -> asio::awaitable<void> {
        co_await sleep_ms(200);  // the poll is waiting by then
        ProducerRecord r{"t", std::nullopt, value, {}, PartitionId(partition), std::nullopt};
        auto sent = co_await producer.send(std::move(r));
        EXPECT_TRUE(sent.has_value());
      };
      asio::co_spawn(io_, std::move(late), asio::detached);
      const auto start = std::chrono::steady_clock::now();
      auto timeout = std::chrono::milliseconds(10000);
      auto polled = co_await consumer.poll(timeout);
      const auto waited = std::chrono::steady_clock::now() - start;
      EXPECT_TRUE(polled.has_value());
      if (!polled) {
        co_return;
      }
      EXPECT_EQ(polled->size(), 1u) << "round " << round;
      if (polled->size() == 1) {
        EXPECT_EQ((*polled)[0].tp.partition, PartitionId(partition));
        EXPECT_EQ((*polled)[0].record.value, value);
      }
      EXPECT_LT(waited, std::chrono::milliseconds(2000)) << "round " << round;
    }
  });
}

TEST_F(ProducerConsumerTest, SubMillisecondLingerIsHonoured) {
  // linger is kept in microseconds (the gateway lingers 0.5 ms): a lone record waits its
  // linger out before its batch is sent, so no send answers sooner than 900 us. A linger cut to
  // whole milliseconds (0) would answer after one loopback round trip, well under that.
  Client client(io_.get_executor(), options());
  ProducerOptions po;
  po.linger = std::chrono::microseconds(900);
  Producer producer(client, po);
  EXPECT_EQ(producer.options().linger, std::chrono::microseconds(900));
  run([&]() -> asio::awaitable<void> {
    ProducerRecord warm{"t", std::nullopt, "warm", {}, PartitionId(2), std::nullopt};
    auto warmed = co_await producer.send(std::move(warm));  // metadata, connection
    EXPECT_TRUE(warmed.has_value());
    auto fastest = std::chrono::steady_clock::duration::max();
    for (int i = 0; i < 10; ++i) {
      ProducerRecord record{"t", std::nullopt, "v" + std::to_string(i), {}, PartitionId(2),
                            std::nullopt};
      const auto start = std::chrono::steady_clock::now();
      auto sent = co_await producer.send(std::move(record));
      fastest = std::min(fastest, std::chrono::steady_clock::now() - start);
      EXPECT_TRUE(sent.has_value());
    }
    EXPECT_GE(fastest, std::chrono::microseconds(900));
  });
}

TEST_F(ProducerConsumerTest, SeekToLatestSeesOnlyNewRecords) {
  Client client(io_.get_executor(), options());
  Producer producer(client, ProducerOptions{});
  Consumer consumer(client, ConsumerOptions{});
  run([&]() -> asio::awaitable<void> {
    ProducerRecord old_record{"t", std::nullopt, "old", {}, PartitionId(2), std::nullopt};
    auto first = co_await producer.send(std::move(old_record));
    EXPECT_TRUE(first.has_value());
    TopicPartition tp{"t", PartitionId(2)};
    std::vector<TopicPartition> one{tp};
    consumer.assign(one);
    auto sought = co_await consumer.seek_to(tp, OffsetReset::kLatest);
    EXPECT_TRUE(sought.has_value());
    EXPECT_EQ(consumer.position(tp).value().value, 1);
    auto short_wait = std::chrono::milliseconds(100);
    auto nothing = co_await consumer.poll(short_wait);
    EXPECT_TRUE(nothing.has_value() && nothing->empty());
    ProducerRecord new_record{"t", std::nullopt, "new", {}, PartitionId(2), std::nullopt};
    auto second = co_await producer.send(std::move(new_record));
    EXPECT_EQ(second.value().offset.value, 1);
    auto wait = std::chrono::milliseconds(1000);
    auto polled = co_await consumer.poll(wait);
    EXPECT_TRUE(polled.has_value());
    EXPECT_EQ(polled->size(), 1u);
    if (polled && polled->size() == 1) {
      EXPECT_EQ((*polled)[0].record.value, "new");
    }
  });
}

TEST_F(ProducerConsumerTest, UnkeyedRecordsSpreadOverPartitions) {
  Client client(io_.get_executor(), options());
  ProducerOptions po;
  po.batch_size = 200;  // a batch fills after a few records, then the sticky partition moves
  Producer producer(client, po);
  run([&]() -> asio::awaitable<void> {
    std::vector<ProducerRecord> records;
    for (int i = 0; i < 60; ++i) {
      records.push_back({"t", std::nullopt, std::string(40, 'x'), {}, std::nullopt, std::nullopt});
    }
    auto sent = co_await send_all(producer, std::move(records));
    std::set<int32_t> used;
    for (const auto& s : sent) {
      if (s) {
        used.insert(s->partition.value);
      }
    }
    EXPECT_EQ(used.size(), 3u);
  });
}

TEST_F(ProducerConsumerTest, SendToUnknownTopicFails) {
  Client client(io_.get_executor(), options());
  Producer producer(client, ProducerOptions{});
  run([&]() -> asio::awaitable<void> {
    ProducerRecord record{"nope", "k", "v", {}, std::nullopt, std::nullopt};
    auto sent = co_await producer.send(std::move(record));
    EXPECT_EQ(sent.error(), errc::unknown_topic);
    ProducerRecord bad_partition{"t", "k", "v", {}, PartitionId(7), std::nullopt};
    auto sent2 = co_await producer.send(std::move(bad_partition));
    EXPECT_EQ(sent2.error(), errc::unknown_partition);
  });
}

}  // namespace
}  // namespace meridian::client
