#include "cluster/protocol/errc.h"

namespace meridian::protocol {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "meridian.protocol"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok:
        return "ok";
      case errc::truncated:
        return "message truncated";
      case errc::invalid_length:
        return "invalid length or count";
      case errc::null_not_allowed:
        return "null in a non-nullable field";
      case errc::trailing_bytes:
        return "trailing bytes after the message";
      case errc::unsupported_version:
        return "unsupported api version";
      case errc::unknown_api_key:
        return "unknown api key";
      case errc::frame_too_large:
        return "frame larger than socket.request.max.bytes";
      case errc::bad_varint:
        return "malformed varint";
      case errc::value_too_large:
        return "value too large for its length prefix";
    }
    return "unknown protocol error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace meridian::protocol
