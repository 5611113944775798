#pragma once
// Content negotiation as the Confluent REST Proxy does it (kafka-rest Versions.java, Jersey):
// request Content-Type `application/vnd.kafka[.fmt][.v2]+json`, `application/json` or
// `application/octet-stream` (embedded format omitted => binary), and a weighted Accept where the
// server's own types carry a quality (`qs`) that multiplies the client's `q`. Pure functions.

#include <cstdint>
#include <span>
#include <string_view>

#include "gateway/errc.h"

namespace meridian::gateway {

enum class EmbeddedFormat : uint8_t { kBinary, kJson, kAvro, kJsonSchema, kProtobuf };

std::string_view format_name(EmbeddedFormat f) noexcept;  // "binary", "json", ...
// "binary" -> kBinary (case-insensitive); nullopt-like failure via bool return.
bool parse_format_name(std::string_view name, EmbeddedFormat& out) noexcept;
// The v2 media type that carries `f`: application/vnd.kafka.binary.v2+json, ...
std::string_view format_media_type(EmbeddedFormat f) noexcept;

enum class MediaKind : uint8_t {
  kKafkaV2,       // application/vnd.kafka[.fmt].v2+json
  kKafkaDefault,  // application/vnd.kafka[.fmt]+json (latest stable = v2)
  kJson,          // application/json
  kOctetStream,   // application/octet-stream (Jersey's default for a missing Content-Type)
};

struct RequestContentType {
  MediaKind kind = MediaKind::kOctetStream;
  EmbeddedFormat format = EmbeddedFormat::kBinary;
  bool format_explicit = false;  // the media type named an embedded format
};

// Parses a Content-Type header. An empty header is octet-stream (what Jersey assumes). Anything
// else (text/plain, v1/v3 kafka types, garbage) is 415 unsupported_media_type.
ApiResult<RequestContentType> parse_content_type(std::string_view header);

// A type an endpoint can produce, with its server-side quality (Versions.java `qs`).
struct Producible {
  std::string_view media_type;
  double qs = 1.0;
};

// v2 metadata/control endpoints: vnd.kafka.v2+json (qs=0.9), vnd.kafka+json (0.8), json (0.5).
std::span<const Producible> v2_producibles() noexcept;
// v3 endpoints: application/json only.
std::span<const Producible> v3_producibles() noexcept;

// Picks the producible with the highest q*qs over the Accept header's media ranges (the most
// specific matching range gives q; ties go to the earlier producible). An empty Accept is */*.
// Returns the index into `producibles`, or 406 not_acceptable.
ApiResult<size_t> negotiate(std::string_view accept, std::span<const Producible> producibles);

// GET .../records: the Accept must select the consumer's format. Another embedded format that
// the client prefers gives 406/40601; nothing acceptable gives 406/406.
ApiResult<EmbeddedFormat> negotiate_records(std::string_view accept, EmbeddedFormat consumer);

}  // namespace meridian::gateway
