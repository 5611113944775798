#pragma once
// Generic encode/decode of any message struct (messages/*.h) at a given version, plus whole
// frames (size prefix + header + body). Pure functions: no sockets, no allocation beyond the
// output. A message type T provides kApiKey, kMinVersion, kMaxVersion and io().

#include <concepts>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/errc.h"
#include "cluster/protocol/framing.h"
#include "cluster/protocol/header.h"
#include "cluster/protocol/reader.h"
#include "cluster/protocol/size_counter.h"
#include "cluster/protocol/writer.h"
#include "common/result.h"

namespace meridian::protocol {

template <class T>
concept Message = requires {
  { T::kApiKey } -> std::convertible_to<ApiKey>;
  { T::kMinVersion } -> std::convertible_to<int16_t>;
  { T::kMaxVersion } -> std::convertible_to<int16_t>;
};

template <Message T>
constexpr bool supports_version(int16_t version) noexcept {
  return version >= T::kMinVersion && version <= T::kMaxVersion;
}

// Appends the body of `msg` in `version`'s format. Errors: unsupported_version, value_too_large.
template <Message T>
std::error_code encode_into(const T& msg, int16_t version, std::vector<uint8_t>& out,
                            std::vector<Splice>* splices = nullptr) {
  if (!supports_version<T>(version)) {
    return make_error_code(errc::unsupported_version);
  }
  Writer writer(out, splices);
  // io() is shared with the Reader and therefore non-const; the Writer never mutates.
  const_cast<T&>(msg).io(writer, version);
  return writer.error();
}

// Exact number of bytes encode() produces (records left out when they will be spliced).
// Precondition: supports_version<T>(version).
template <Message T>
size_t encoded_size(const T& msg, int16_t version, bool count_records = true) {
  SizeCounter counter(count_records);
  const_cast<T&>(msg).io(counter, version);
  return counter.size();
}

template <Message T>
Result<Bytes> encode(const T& msg, int16_t version) {
  Bytes out;
  if (supports_version<T>(version)) {
    out.reserve(encoded_size(msg, version));
  }
  if (auto ec = encode_into(msg, version, out)) {
    return ec;
  }
  return out;
}

// Decodes exactly `in` as a T of `version`. Errors: unsupported_version, truncated,
// invalid_length, null_not_allowed, trailing_bytes.
template <Message T>
Result<T> decode(std::span<const uint8_t> in, int16_t version) {
  if (!supports_version<T>(version)) {
    return make_error_code(errc::unsupported_version);
  }
  T msg;
  Reader reader(in);
  msg.io(reader, version);
  if (!reader.ok()) {
    return reader.error();
  }
  if (reader.remaining() != 0) {
    return make_error_code(errc::trailing_bytes);
  }
  return msg;
}

// A complete request frame: size, header (api_key taken from T), body.
template <Message T>
Result<Bytes> encode_request_frame(RequestHeader header, const T& body) {
  header.api_key = T::kApiKey;
  Bytes out;
  if (supports_version<T>(header.api_version)) {
    const size_t header_size = 10 + (header.client_id ? header.client_id->size() : 0);
    out.reserve(kFrameSizeBytes + header_size + encoded_size(body, header.api_version));
  }
  size_t start = begin_frame(out);
  Writer writer(out);
  header.io(writer, request_header_version(header.api_key, header.api_version));
  if (!writer.ok()) {
    return writer.error();
  }
  if (auto ec = encode_into(body, header.api_version, out)) {
    return ec;
  }
  if (auto done = finish_frame(out, start); !done) {
    return done.error();
  }
  return out;
}

// A response frame in pieces: `head` holds every byte we produced (size prefix, header, fields)
// and `splices` say where each Records buffer that was not copied goes. Send buffers() with a
// gather write. Lifetime: the message whose records were spliced must outlive this object.
struct Encoded {
  Bytes head;
  std::vector<Splice> splices;

  size_t size() const noexcept {
    size_t n = head.size();
    for (const auto& s : splices) {
      n += s.bytes.size();
    }
    return n;
  }
  // Non-empty pieces in send order.
  std::vector<std::span<const uint8_t>> buffers() const {
    std::vector<std::span<const uint8_t>> out;
    size_t pos = 0;
    auto add = [&out](std::span<const uint8_t> piece) {
      if (!piece.empty()) {
        out.push_back(piece);
      }
    };
    for (const auto& s : splices) {
      add({head.data() + pos, s.position - pos});
      add(s.bytes);
      pos = s.position;
    }
    add({head.data() + pos, head.size() - pos});
    return out;
  }
};

// A complete response frame: size, response header v0, body. With Splicing::kYes non-empty
// Records are referenced, not copied.
enum class Splicing : bool { kNo = false, kYes = true };
template <Message T>
Result<Encoded> encode_response_frame(int32_t correlation_id, const T& body, int16_t version,
                                      Splicing splicing = Splicing::kNo) {
  Encoded enc;
  if (supports_version<T>(version)) {
    enc.head.reserve(kFrameSizeBytes + 4 + encoded_size(body, version, splicing == Splicing::kNo));
  }
  size_t start = begin_frame(enc.head);
  Writer writer(enc.head);
  ResponseHeader{correlation_id}.io(writer, 0);
  auto* splices = splicing == Splicing::kYes ? &enc.splices : nullptr;
  if (auto ec = encode_into(body, version, enc.head, splices)) {
    return ec;
  }
  if (auto done = finish_frame(enc.head, start, enc.size() - enc.head.size()); !done) {
    return done.error();
  }
  return enc;
}

}  // namespace meridian::protocol
