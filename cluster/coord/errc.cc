#include "cluster/coord/errc.h"

namespace meridian::coord {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "meridian.coord"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok:
        return "ok";
      case errc::no_node:
        return "node does not exist";
      case errc::node_exists:
        return "node already exists";
      case errc::bad_version:
        return "version mismatch (compare-and-set lost)";
      case errc::not_empty:
        return "node has children";
      case errc::no_children_for_ephemerals:
        return "ephemeral nodes cannot have children";
      case errc::invalid_path:
        return "invalid node path";
      case errc::connection_loss:
        return "connection to the coordination service lost";
      case errc::operation_timeout:
        return "coordination operation timed out";
      case errc::session_expired:
        return "coordination session expired";
      case errc::closed:
        return "coordination store closed";
      case errc::bad_config:
        return "invalid coordination configuration";
      case errc::backend_error:
        return "coordination backend error";
    }
    return "unknown coordination error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace meridian::coord
