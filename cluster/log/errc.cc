#include "cluster/log/errc.h"

namespace meridian::log {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "meridian.log"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok:
        return "ok";
      case errc::offset_out_of_range:
        return "offset out of range";
      case errc::invalid_batch:
        return "invalid record batch";
      case errc::crc_mismatch:
        return "record batch CRC32C mismatch";
      case errc::non_monotonic_offset:
        return "batch base offset below the log end offset";
      case errc::epoch_regression:
        return "leader epoch below the log's latest epoch";
      case errc::batch_too_large:
        return "append too large for one segment";
      case errc::invalid_config:
        return "invalid log configuration";
      case errc::bad_directory:
        return "bad partition directory";
      case errc::corrupt_checkpoint:
        return "corrupt checkpoint file";
      case errc::closed:
        return "log is closed";
      case errc::buffer_too_small:
        return "buffer too small for the first batch";
    }
    return "unknown log error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace meridian::log
