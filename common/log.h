#pragma once
// One named spdlog logger per subsystem ("log", "record", "replication", "gateway", ...).
// Levels: error = a human must act; warn = degraded but serving (always with a metric);
// info = state changes only; debug/trace = per-request detail.

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace meridian {

// Returns the logger for a subsystem, creating it (stderr, shared format) on first use.
std::shared_ptr<spdlog::logger> logger(const std::string& subsystem);

// Sets the level of every logger, current and future ("trace".."off"). Returns false if unknown.
bool set_log_level(const std::string& level);

}  // namespace meridian
