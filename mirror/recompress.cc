#include "mirror/recompress.h"

#include "cluster/record/compression.h"
#include "cluster/record/crc32c.h"
#include "common/byte_order.h"

namespace meridian::mirror {

namespace layout = record::format;

std::optional<record::Compression> parse_codec(const std::string& name) {
  using record::Compression;
  for (auto c : {Compression::kNone, Compression::kGzip, Compression::kSnappy, Compression::kLz4,
                 Compression::kZstd}) {
    if (name == record::compression_name(c)) {
      return c;
    }
  }
  return std::nullopt;
}

Result<std::vector<uint8_t>> recompress(std::span<const uint8_t> batches,
                                        record::Compression codec) {
  std::vector<uint8_t> out;
  out.reserve(batches.size());
  for (size_t pos = 0; pos < batches.size();) {
    auto view = record::BatchView::parse(batches.subspan(pos));
    if (!view) {
      return view.error();
    }
    auto bytes = view->bytes();
    pos += view->size_bytes();
    if (codec == record::Compression::kNone || view->compression() != record::Compression::kNone ||
        view->is_control()) {
      out.insert(out.end(), bytes.begin(), bytes.end());
      continue;
    }
    auto payload = record::compress(codec, view->records_payload());
    if (!payload) {
      return payload.error();
    }
    if (payload->size() >= view->records_payload().size()) {
      out.insert(out.end(), bytes.begin(), bytes.end());  // incompressible: keep it as it was
      continue;
    }
    size_t start = out.size();
    out.insert(out.end(), bytes.begin(), bytes.begin() + layout::kHeaderSize);
    out.insert(out.end(), payload->begin(), payload->end());
    uint8_t* batch = out.data() + start;
    auto attributes = static_cast<uint16_t>((view->attributes() & ~layout::kCompressionMask) |
                                            static_cast<uint16_t>(codec));
    store_be<uint16_t>(batch + layout::kAttributesPos, attributes);
    auto length = static_cast<int32_t>(layout::kHeaderSize - layout::kLogOverhead + payload->size());
    store_be<int32_t>(batch + layout::kBatchLengthPos, length);
    size_t size = layout::kHeaderSize + payload->size();
    store_be<uint32_t>(batch + layout::kCrcPos,
                       record::crc32c(batch + layout::kCrcCoveredFrom, size - layout::kCrcCoveredFrom));
  }
  return out;
}

}  // namespace meridian::mirror
