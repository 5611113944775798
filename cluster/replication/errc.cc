#include "cluster/replication/errc.h"

#include <string>

namespace meridian::replication {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "meridian.replication"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok: return "ok";
      case errc::not_leader: return "this broker is not the leader of the partition";
      case errc::not_follower: return "this broker is not a follower of the partition";
      case errc::fenced_leader_epoch: return "leader epoch in the request is older than ours";
      case errc::unknown_leader_epoch: return "leader epoch in the request is newer than ours";
      case errc::not_enough_replicas: return "in-sync replicas below min.insync.replicas";
      case errc::not_enough_replicas_after_append:
        return "in-sync replicas fell below min.insync.replicas after the append";
      case errc::request_timed_out: return "timed out waiting for in-sync replicas";
      case errc::offset_out_of_range: return "offset out of range";
      case errc::stale_state: return "partition state is older than the current one";
      case errc::storage_error: return "storage error";
      case errc::shutting_down: return "partition is shutting down";
    }
    return "unknown replication error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace meridian::replication
