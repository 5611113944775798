#include "common/admin/errc.h"

#include <string>

namespace meridian::admin {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "meridian.admin"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok:
        return "ok";
      case errc::already_started:
        return "admin server already started";
      case errc::bad_address:
        return "admin listener address is not an IP address";
    }
    return "unknown admin error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace meridian::admin
