#include "cluster/record/errc.h"

namespace meridian::record {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "meridian.record"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok: return "ok";
      case errc::truncated: return "batch truncated";
      case errc::bad_magic: return "unsupported magic byte (only RecordBatch v2 is stored)";
      case errc::bad_length: return "batch length out of range";
      case errc::crc_mismatch: return "CRC32C mismatch";
      case errc::bad_varint: return "malformed varint";
      case errc::bad_record: return "malformed record";
      case errc::unsupported_codec: return "unsupported compression codec";
      case errc::decompression_failed: return "decompression failed";
      case errc::compression_failed: return "compression failed";
    }
    return "unknown record error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace meridian::record
