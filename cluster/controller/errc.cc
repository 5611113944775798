#include "cluster/controller/errc.h"

#include <string>

namespace meridian::controller {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "meridian.controller"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok:
        return "ok";
      case errc::invalid_topic:
        return "invalid topic name";
      case errc::topic_already_exists:
        return "topic already exists";
      case errc::invalid_partitions:
        return "invalid number of partitions";
      case errc::invalid_replication_factor:
        return "invalid replication factor";
      case errc::invalid_replica_assignment:
        return "invalid replica assignment";
      case errc::unknown_topic:
        return "unknown topic";
      case errc::bad_state_data:
        return "malformed coordination store data";
      case errc::not_controller:
        return "this broker is not the active controller";
      case errc::fenced:
        return "fenced by a newer controller epoch";
      case errc::isr_conflict:
        return "partition state changed concurrently";
      case errc::timed_out:
        return "controller request timed out";
      case errc::shutting_down:
        return "controller is shutting down";
    }
    return "unknown controller error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace meridian::controller
