// PartitionLog::set_config: topic config updates (AlterConfigs) without reopening the log.
#include "cluster/log/partition_log.h"

#include <charconv>
#include <cstdlib>
#include <sstream>

namespace meridian::log {

void apply_cleanup_overrides(const std::map<std::string, std::string>& overrides,
                             LogConfig& config) {
  if (auto it = overrides.find("cleanup.policy"); it != overrides.end()) {
    bool compact = false;
    bool del = false;
    bool valid = true;
    std::stringstream items(it->second);
    for (std::string item; std::getline(items, item, ',');) {
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      compact |= item == "compact";
      del |= item == "delete";
      valid &= item == "compact" || item == "delete";
    }
    if (valid && (compact || del)) {
      config.cleanup_compact = compact;
      config.cleanup_delete = del;
    }
  }
  if (auto it = overrides.find("delete.retention.ms"); it != overrides.end()) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    if (ec == std::errc() && end == it->second.data() + it->second.size() && v >= 0) {
      config.delete_retention_ms = v;
    }
  }
  if (auto it = overrides.find("min.cleanable.dirty.ratio"); it != overrides.end()) {
    char* end = nullptr;
    double v = std::strtod(it->second.c_str(), &end);
    if (end != it->second.c_str() && *end == '\0' && v >= 0.0 && v <= 1.0) {
      config.min_cleanable_dirty_ratio = v;
    }
  }
}

bool same_cleanup(const LogConfig& a, const LogConfig& b) {
  return a.cleanup_compact == b.cleanup_compact && a.cleanup_delete == b.cleanup_delete &&
         a.delete_retention_ms == b.delete_retention_ms &&
         a.min_cleanable_dirty_ratio == b.min_cleanable_dirty_ratio;
}

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
