#include "cluster/broker/producer_ids.h"

#include <charconv>
#include <limits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "cluster/broker/detail/respond.h"
#include "cluster/controller/errc.h"
#include "cluster/protocol/messages.h"
#include "common/log.h"

namespace meridian::broker {

namespace asio = boost::asio;
using protocol::ErrorCode;

namespace {

// A lost race for the block node is retried; more than this many in a row means something else
// is wrong (a store that accepts no write).
constexpr int kMaxClaimAttempts = 50;

std::optional<int64_t> parse_decimal(const nlohmann::json& value) {
  if (value.is_number_integer()) {
    return value.get<int64_t>();
  }
  if (!value.is_string()) {
    return std::nullopt;
  }
  const auto& text = value.get_ref<const std::string&>();
  int64_t out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string encode_producer_id_block(const ProducerIdBlock& block) {
  nlohmann::json j = {{"version", 1},
                      {"broker", block.broker.value},
                      {"block_start", std::to_string(block.start)},
                      {"block_end", std::to_string(block.end)}};
  return j.dump();
}

Result<ProducerIdBlock> decode_producer_id_block(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("block_start") ||
      !j.contains("block_end")) {
    return make_error_code(controller::errc::bad_state_data);
  }
  auto start = parse_decimal(j["block_start"]);
  auto end = parse_decimal(j["block_end"]);
  if (!start || !end || *start < 0 || *end < *start - 1) {
    return make_error_code(controller::errc::bad_state_data);
  }
  ProducerIdBlock block;
  block.start = *start;
  block.end = *end;
  if (j.contains("broker") && j["broker"].is_number_integer()) {
    block.broker = BrokerId(j["broker"].get<int32_t>());
  }
  return block;
}

ProducerIdAllocator::ProducerIdAllocator(coord::CoordinationStore& store, BrokerId self,
                                         int64_t block_size)
    : store_(store), self_(self), block_size_(block_size) {}

Result<int64_t> ProducerIdAllocator::next() {
  std::lock_guard lock(mutex_);
  if (next_ > end_) {
    if (auto claimed = claim_block(); !claimed) {
      return claimed.error();
    }
  }
  return next_++;
}

// Kafka's ZkProducerIdManager.getNewProducerIdBlock: read the last block (and its version), write
// the following one with a compare-and-set; a lost race re-reads.
Result<void> ProducerIdAllocator::claim_block() {
  for (int attempt = 0; attempt < kMaxClaimAttempts; ++attempt) {
    auto node = store_.get(kProducerIdBlockPath);
    ProducerIdBlock block{self_, 0, block_size_ - 1};
    if (node) {
      auto last = decode_producer_id_block(node->data);
      if (!last) {
        return last.error();
      }
      if (last->end > std::numeric_limits<int64_t>::max() - block_size_) {
        return std::make_error_code(std::errc::value_too_large);
      }
      block.start = last->end + 1;
      block.end = last->end + block_size_;
      auto set =
          store_.set(kProducerIdBlockPath, encode_producer_id_block(block), node->stat.version);
      if (!set) {
        if (set.error() == coord::errc::bad_version) {
          continue;
        }
        return set.error();
      }
    } else if (node.error() == coord::errc::no_node) {
      auto created = store_.create(kProducerIdBlockPath, encode_producer_id_block(block),
                                   coord::CreateMode::kPersistent);
      if (!created) {
        if (created.error() == coord::errc::node_exists) {
          continue;
        }
        return created.error();
      }
    } else {
      return node.error();
    }
    next_ = block.start;
    end_ = block.end;
    logger("broker")->info("broker {} claimed producer ids {}..{}", self_.value, block.start,
                           block.end);
    return {};
  }
  return std::make_error_code(std::errc::resource_unavailable_try_again);
}

ProducerIdExtension::ProducerIdExtension(ProducerIdAllocator& allocator,
                                         asio::any_io_executor blocking)
    : allocator_(allocator), blocking_(std::move(blocking)) {}

bool ProducerIdExtension::serves(protocol::ApiKey key) const noexcept {
  return key == protocol::ApiKey::kInitProducerId;
}

asio::awaitable<std::optional<std::vector<uint8_t>>> ProducerIdExtension::handle(
    const ConnectionInfo& connection, const protocol::RequestHeader& header,
    std::span<const uint8_t> body) {
  auto request = protocol::decode<protocol::InitProducerIdRequest>(body, header.api_version);
  if (!request) {
    co_return std::vector<uint8_t>{};
  }
  protocol::InitProducerIdResponse response;
  if (request->transactional_id) {
    logger("broker")->warn(
        "InitProducerId from {} ({}) with transactional.id '{}': transactions are not "
        "supported, only idempotent producers (INVALID_REQUEST)",
        connection.peer, header.client_id.value_or(""), *request->transactional_id);
    response.error_code = ErrorCode::kInvalidRequest;
    co_return detail::respond(header, response);
  }
  auto allocate = [this]() -> asio::awaitable<Result<int64_t>> { co_return allocator_.next(); };
  Result<int64_t> id = co_await asio::co_spawn(blocking_, std::move(allocate), asio::use_awaitable);
  if (!id) {
    logger("broker")->warn("InitProducerId from {}: no producer id: {}", connection.peer,
                           id.error().message());
    // Retriable for the client: the store may be back in a moment.
    response.error_code = ErrorCode::kCoordinatorNotAvailable;
  } else {
    response.producer_id = *id;
    response.producer_epoch = 0;
  }
  co_return detail::respond(header, response);
}

}  // namespace meridian::broker
