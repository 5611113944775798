// Produce and Fetch: the data path of the dispatcher (request_dispatcher.h).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <memory>

#include "cluster/broker/data_notifier.h"
#include "cluster/broker/detail/frame_pool.h"
#include "cluster/broker/detail/respond.h"
#include "cluster/broker/error_mapping.h"
#include "cluster/broker/mirror_registry.h"
#include "cluster/broker/request_dispatcher.h"
#include "cluster/log/log_types.h"
#include "cluster/protocol/messages.h"
#include "cluster/record/batch_view.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using detail::epoch_of;
using detail::respond;
using protocol::ErrorCode;

namespace {

// Completes when `remaining` reaches zero; lets one request await appends to many partitions
// at once, so acks=all waits overlap instead of adding up.
// Also counts the appends: once every partition of the request has appended, `on_appended`
// lets the connection start its next request while this one waits for replication (its
// appends are then ordered before the next request's on every partition strand).
struct WaitGroup {
  size_t remaining;
  size_t to_append;
  std::function<void()> on_appended;
  asio::steady_timer done;
  WaitGroup(asio::any_io_executor ex, size_t n, std::function<void()> appended)
      : remaining(n),
        to_append(n),
        on_appended(std::move(appended)),
        done(std::move(ex), asio::steady_timer::time_point::max()) {}
  void appended_one() {
    if (--to_append == 0 && on_appended) {
      on_appended();
    }
  }
  void finish_one() {
    if (--remaining == 0) {
      done.cancel();
    }
  }
};

// The mirror state of `topic` when it is a read-only mirror, else null.
const MirrorEntry* read_only_mirror(const std::map<std::string, MirrorEntry>* mirrors,
                                    const std::string& topic) {
  if (mirrors == nullptr) {
    return nullptr;
  }
  auto it = mirrors->find(topic);
  if (it == mirrors->end() || !mirror_state_is_read_only(it->second.record.state)) {
    return nullptr;
  }
  return &it->second;
}

// One partition's records of a Fetch answer, still in the log: read straight into the frame.
struct FetchedRecords {
  size_t topic;  // index in FetchResponse::responses
  size_t partition;  // index in that topic's partitions
  log::ReadResult data;
};

// Encodes a Fetch answer with each partition's records read from the log (pread) straight into
// the response frame. Before, each partition was read into its own zeroed vector and the encoder
// copied it into the frame: per fetched byte a memset, a pread and a memmove into fresh pages;
// now the pread, into a frame reused from detail::FramePool (session 7: no memset either). A
// partition whose read fails gets KAFKA_STORAGE_ERROR.
std::optional<std::vector<uint8_t>> respond_fetch(const protocol::RequestHeader& header,
                                                  protocol::FetchResponseView& response,
                                                  std::vector<FetchedRecords> fetched) {
  while (true) {
    // Placeholders of the right sizes, never read: the encoder only notes where records go, so
    // every partition's span may cover the same (uninitialised) bytes.
    uint64_t largest = 1;
    for (const auto& f : fetched) {
      largest = std::max<uint64_t>(largest, f.data.total_bytes);
    }
    std::unique_ptr<uint8_t[]> placeholder(new uint8_t[largest]);
    for (const auto& f : fetched) {
      response.responses[f.topic].partitions[f.partition].records =
          std::span<const uint8_t>(placeholder.get(), f.data.total_bytes);
    }
    auto encoded = protocol::encode_response_frame(header.correlation_id, response,
                                                   header.api_version, protocol::Splicing::kYes);
    if (!encoded || encoded->splices.size() != fetched.size()) {
      return detail::flatten(make_error_code(std::errc::invalid_argument));
    }
    // A pooled frame (no zero-fill of the whole answer); every byte is written below.
    std::vector<uint8_t> frame = detail::FramePool::instance().take(encoded->size());
    size_t head_at = 0;  // next byte of encoded->head to copy
    size_t out_at = 0;
    std::optional<size_t> failed;
    for (size_t i = 0; i < fetched.size() && !failed; ++i) {
      const auto& splice = encoded->splices[i];
      std::copy(encoded->head.begin() + static_cast<ptrdiff_t>(head_at),
                encoded->head.begin() + static_cast<ptrdiff_t>(splice.position),
                frame.begin() + static_cast<ptrdiff_t>(out_at));
      out_at += splice.position - head_at;
      head_at = splice.position;
      if (auto copied = fetched[i].data.copy_to({frame.data() + out_at, splice.bytes.size()});
          !copied) {
        logger("kafka")->warn("fetch: reading records failed: {}", copied.error().message());
        failed = i;
      }
      out_at += splice.bytes.size();
    }
    if (!failed) {
      std::copy(encoded->head.begin() + static_cast<ptrdiff_t>(head_at), encoded->head.end(),
                frame.begin() + static_cast<ptrdiff_t>(out_at));
      return frame;
    }
    detail::FramePool::instance().give(std::move(frame));
    auto& out = response.responses[fetched[*failed].topic].partitions[fetched[*failed].partition];
    out.error_code = ErrorCode::kKafkaStorageError;
    out.records = std::span<const uint8_t>{};
    fetched.erase(fetched.begin() + static_cast<ptrdiff_t>(*failed));
  }
}

}  // namespace

asio::awaitable<std::optional<std::vector<uint8_t>>> RequestDispatcher::handle_produce(
    Context& ctx) {
  auto request = protocol::decode<protocol::ProduceRequestView>(ctx.body, ctx.header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  auto acks = request->acks;
  bool valid_acks = acks == 0 || acks == 1 || acks == -1;
  auto timeout = std::chrono::milliseconds(std::max(0, request->timeout_ms));
  struct Slot {
    protocol::ProduceResponse::Partition* out;
    std::shared_ptr<replication::Partition> partition;
    std::span<uint8_t> batches;
  };
  protocol::ProduceResponse response;
  std::vector<Slot> slots;
  auto metadata = metadata_.get();
  // Mirror topics are read-only (docs/mirror.md): the link appends, clients may not.
  auto mirrors = MirrorRegistry::snapshot_for(replicas_);
  response.responses.reserve(request->topics.size());
  for (const auto& topic : request->topics) {
    auto& out_topic = response.responses.emplace_back();
    out_topic.name = topic.name;
    out_topic.partitions.reserve(topic.partitions.size());
    for (const auto& p : topic.partitions) {
      auto& out = out_topic.partitions.emplace_back();
      out.index = p.index;
      auto partition = replicas_.get({topic.name, PartitionId(p.index)});
      if (!valid_acks) {
        out.error_code = ErrorCode::kInvalidRequiredAcks;
      } else if (!partition) {
        out.error_code = metadata->partition(topic.name, p.index)
                             ? ErrorCode::kNotLeaderOrFollower
                             : ErrorCode::kUnknownTopicOrPartition;
      } else if (const MirrorEntry* m = read_only_mirror(mirrors.get(), topic.name)) {
        // Kafka has no code for "read-only topic"; INVALID_REQUEST is not retriable, and the
        // message (Produce v8+) says what to do.
        out.error_code = ErrorCode::kInvalidRequest;
        out.error_message = "topic " + topic.name + " is a read-only mirror (link " +
                            m->record.link_name + ", " + m->record.state +
                            "); promote or fail it over to write";
        logger("kafka")->debug("produce to read-only mirror topic {} refused", topic.name);
      } else if (!p.records || p.records->empty()) {
        out.error_code = ErrorCode::kCorruptMessage;
      } else if (p.records->size() > static_cast<size_t>(options_.message_max_bytes)) {
        out.error_code = ErrorCode::kRecordListTooLarge;
      } else {
        // The records view points into the connection's frame, which we own and may stamp.
        auto offset = static_cast<size_t>(p.records->data() - ctx.frame.data());
        slots.push_back({&out, std::move(partition), ctx.frame.subspan(offset, p.records->size())});
      }
    }
  }
  if (!slots.empty()) {
    auto executor = co_await asio::this_coro::executor;
    // The slots run on this connection's strand: the counters of `group` need no lock.
    auto group = std::make_shared<WaitGroup>(executor, slots.size(), ctx.connection.release_order);
    auto replication_acks = static_cast<replication::Acks>(acks);
    for (auto& slot : slots) {
      asio::co_spawn(
          executor,
          [this, slot, group, replication_acks, timeout]() -> asio::awaitable<void> {
            auto appended = co_await slot.partition->append_only(slot.batches, replication_acks);
            group->appended_one();
            Result<replication::AppendResult> r = make_error_code(replication::errc::not_leader);
            if (!appended) {
              r = appended.error();
            } else if (replication_acks == replication::Acks::kAll) {
              replication::Partition::PendingAppend pending = *appended;
              auto replicated = co_await slot.partition->wait_replicated(pending, timeout);
              r = std::move(replicated);
            } else {
              r = appended->result;
            }
            if (r) {
              slot.out->base_offset = r->base_offset.value;
              slot.out->log_start_offset = r->log_start_offset.value;
              counters_.records_produced.fetch_add(
                  static_cast<uint64_t>(r->last_offset - r->base_offset + 1),
                  std::memory_order_relaxed);
              counters_.produce_bytes.fetch_add(slot.batches.size(), std::memory_order_relaxed);
            } else {
              slot.out->error_code = to_kafka_error(r.error());
              slot.out->error_message = r.error().message();
            }
            group->finish_one();
          },
          asio::detached);
    }
    co_await group->done.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (acks == 0) {
    co_return std::nullopt;  // acks=0: the client expects no response
  }
  co_return respond(ctx.header, response);
}

asio::awaitable<std::optional<std::vector<uint8_t>>> RequestDispatcher::handle_fetch(Context& ctx) {
  auto request = protocol::decode<protocol::FetchRequest>(ctx.body, ctx.header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  std::optional<BrokerId> follower;
  if (request->replica_id >= 0) {
    follower = BrokerId(request->replica_id);
  }
  auto wait = std::min(std::chrono::milliseconds(std::max(0, request->max_wait_ms)),
                       options_.max_fetch_wait);
  auto deadline = std::chrono::steady_clock::now() + wait;
  auto metadata = metadata_.get();
  // A follower reads up to the LEO: only an append gives it more (a HW move, which its own and
  // the other followers' fetches cause, would wake it for nothing).
  DataNotifier& notifier = follower ? *replica_notifier_ : *notifier_;
  while (true) {
    uint64_t generation = notifier.generation();
    protocol::FetchResponseView response;
    std::vector<FetchedRecords> fetched;  // read from the log once the answer is encoded
    int64_t budget = request->max_bytes > 0 ? request->max_bytes : INT32_MAX;
    uint64_t total = 0;
    bool any_error = false;
    for (const auto& topic : request->topics) {
      auto& out_topic = response.responses.emplace_back();
      out_topic.topic = topic.topic;
      for (const auto& p : topic.partitions) {
        auto& out = out_topic.partitions.emplace_back();
        out.partition_index = p.partition;
        // Empty, not null: librdkafka cannot parse a null record set and refetches forever
        // without ever reading the error code.
        out.records = std::span<const uint8_t>{};
        auto partition = replicas_.get({topic.topic, PartitionId(p.partition)});
        if (!partition) {
          out.error_code = metadata->partition(topic.topic, p.partition)
                               ? ErrorCode::kNotLeaderOrFollower
                               : ErrorCode::kUnknownTopicOrPartition;
          any_error = true;
          continue;
        }
        uint64_t max = static_cast<uint64_t>(
            std::max<int64_t>(0, std::min<int64_t>(p.partition_max_bytes, budget)));
        auto read = co_await partition->read(Offset(p.fetch_offset), max,
                                             epoch_of(p.current_leader_epoch), follower);
        if (!read) {
          out.error_code = to_kafka_error(read.error());
          any_error = true;
          continue;
        }
        out.high_watermark = read->high_watermark.value;
        out.last_stable_offset = read->high_watermark.value;
        out.log_start_offset = read->log_start_offset.value;
        if (read->data.total_bytes > 0 && (max > 0 || total == 0)) {
          total += read->data.total_bytes;
          budget -= static_cast<int64_t>(read->data.total_bytes);
          fetched.push_back({response.responses.size() - 1, out_topic.partitions.size() - 1,
                             std::move(read->data)});
        }
      }
    }
    bool enough = static_cast<int64_t>(total) >= std::max(1, request->min_bytes);
    if (enough || any_error || std::chrono::steady_clock::now() >= deadline) {
      counters_.fetch_bytes.fetch_add(total, std::memory_order_relaxed);
      co_return respond_fetch(ctx.header, response, std::move(fetched));
    }
    co_await notifier.wait(generation, deadline);
  }
}

}  // namespace meridian::broker
