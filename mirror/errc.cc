#include "mirror/errc.h"

#include <string>

namespace meridian::mirror {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "meridian.mirror"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok:
        return "ok";
      case errc::not_a_mirror:
        return "not a mirror topic of this link";
      case errc::bad_state:
        return "operation not allowed in the mirror topic's current state";
      case errc::not_caught_up:
        return "the mirror did not catch up with the source in time";
      case errc::source_truncated:
        return "the source deleted records the mirror has not copied";
      case errc::misaligned:
        return "source batches do not line up with the target's log end";
      case errc::bad_response:
        return "undecodable mirror response";
    }
    return "unknown mirror error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace meridian::mirror
