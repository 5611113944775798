#include "common/admin/http_metrics.h"

#include <atomic>
#include <string>
#include <unordered_map>
#include <utility>

namespace meridian::admin {
namespace {

std::atomic<std::uint64_t> g_next_owner{1};

struct CachedSeries {
  prometheus::Counter* requests = nullptr;
  prometheus::Histogram* duration = nullptr;
};

}  // namespace

HttpRequestMetrics::HttpRequestMetrics(prometheus::Labels base, prometheus::Registry& registry)
    : metrics_(gateway_metrics(std::move(base), registry)), owner_(g_next_owner++) {}

void HttpRequestMetrics::observe(std::string_view route, std::string_view method,
                                 unsigned status, double seconds) const {
  // Series are never removed, so cached pointers stay valid for the life of the process.
  thread_local std::unordered_map<std::string, CachedSeries> cache;
  std::string key = std::to_string(owner_);
  key.push_back('\x1f');
  key.append(route).push_back('\x1f');
  key.append(method).push_back('\x1f');
  key += std::to_string(status);
  auto it = cache.find(key);
  if (it == cache.end()) {
    const std::string r(route), m(method);
    CachedSeries s;
    s.requests = &metrics_.http_requests.add(
        {{"route", r}, {"method", m}, {"status", std::to_string(status)}});
    s.duration = &metrics_.http_request_duration.add({{"route", r}, {"method", m}});
    it = cache.emplace(std::move(key), s).first;
  }
  it->second.requests->Increment();
  it->second.duration->Observe(seconds);
}

}  // namespace meridian::admin
