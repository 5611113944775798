// PartitionLog::set_config: topic config updates (AlterConfigs) without reopening the log.
#include "cluster/log/partition_log.h"

namespace meridian::log {

Result<void> PartitionLog::set_config(LogConfig config) {
  if (auto ok = config.validate(); !ok) {
    return ok.error();
  }
  // Every reader of config_ looks it up per call (roll, retention, flush, index interval of the
  // next segment), so replacing it is all a change needs.
  config_ = config;
  return {};
}

}  // namespace meridian::log
