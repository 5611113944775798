#include "common/admin/metrics.h"

#include <gtest/gtest.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "common/admin/metric_catalogue.h"
#include "common/admin/metric_names.h"

namespace meridian::admin {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// ^meridian_[a-z0-9_]+[a-z0-9]$ without std::regex (GCC 12 warns inside it under ASan).
bool is_snake_case_meridian_name(std::string_view name) {
  constexpr std::string_view kPrefix = "meridian_";
  if (name.size() <= kPrefix.size() || name.substr(0, kPrefix.size()) != kPrefix ||
      name.back() == '_') {
    return false;
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

const prometheus::MetricFamily* find_family(const std::vector<prometheus::MetricFamily>& all,
                                            std::string_view name) {
  for (const auto& family : all) {
    if (family.name == name) {
      return &family;
    }
  }
  return nullptr;
}

// The value of the series of `name` whose labels include every pair of `want`.
const prometheus::ClientMetric* find_series(const std::vector<prometheus::MetricFamily>& all,
                                            std::string_view name, const prometheus::Labels& want) {
  const auto* family = find_family(all, name);
  if (family == nullptr) {
    return nullptr;
  }
  for (const auto& metric : family->metric) {
    std::size_t matched = 0;
    for (const auto& label : metric.label) {
      auto it = want.find(label.name);
      matched += it != want.end() && it->second == label.value ? 1 : 0;
    }
    if (matched == want.size() && metric.label.size() == want.size()) {
      return &metric;
    }
  }
  return nullptr;
}

TEST(MetricCatalogue, NamesFollowPrometheusConventions) {
  std::set<std::string_view> seen;
  for (const MetricSpec& spec : metric_catalogue()) {
    SCOPED_TRACE(std::string(spec.name));
    EXPECT_TRUE(is_snake_case_meridian_name(spec.name));
    EXPECT_TRUE(seen.insert(spec.name).second) << "duplicate name";
    EXPECT_EQ(spec.kind == MetricKind::kCounter, ends_with(spec.name, "_total"));
    if (spec.kind == MetricKind::kHistogram) {
      EXPECT_TRUE(ends_with(spec.name, "_seconds")) << "latencies are histograms in seconds";
    } else {
      for (std::string_view reserved : {"_sum", "_count", "_bucket"}) {
        EXPECT_FALSE(ends_with(spec.name, reserved)) << "suffix reserved for histograms";
      }
    }
    EXPECT_FALSE(spec.help.empty());
    EXPECT_EQ(find_metric(spec.name), &spec);
  }
  EXPECT_EQ(find_metric("meridian_no_such_metric"), nullptr);
  for (std::string_view bad : {"meridian_", "meridian_Bad", "kafka_lag", "meridian_lag_"}) {
    EXPECT_FALSE(is_snake_case_meridian_name(bad)) << bad;
  }
  EXPECT_GE(seen.size(), 30u) << "CONVENTIONS.md §1 lists 30 rows";
}

TEST(MetricCatalogue, EveryFamilyIsBuiltWithItsCatalogueType) {
  prometheus::Registry registry;
  add_example_series_for_test(registry);
  const auto families = registry.Collect();
  std::set<std::string> collected;
  for (const auto& family : families) {
    collected.insert(family.name);
    const MetricSpec* spec = find_metric(family.name);
    ASSERT_NE(spec, nullptr) << family.name << " is registered but not in the catalogue";
    EXPECT_EQ(family.help, spec->help);
    const auto want = spec->kind == MetricKind::kCounter ? prometheus::MetricType::Counter
                      : spec->kind == MetricKind::kGauge ? prometheus::MetricType::Gauge
                                                         : prometheus::MetricType::Histogram;
    EXPECT_EQ(family.type, want) << family.name;
  }
  for (const MetricSpec& spec : metric_catalogue()) {
    EXPECT_TRUE(collected.contains(std::string(spec.name))) << spec.name << " never registered";
  }
}

TEST(MetricCatalogue, ConstantsUsedByStructsResolve) {
  for (std::string_view name :
       {metric::kBuildInfo, metric::kClusterControllerActive, metric::kPartitionUnderReplicated,
        metric::kHttpRequestDuration, metric::kMirrorLinkState, metric::kMirrorLagSeconds,
        metric::kGroupTopicLag, metric::kTlsCertificateExpiresAt}) {
    EXPECT_NE(find_metric(name), nullptr) << name;
  }
}

TEST(Metrics, BaseLabelsAreAddedAndBrokersShareFamilies) {
  prometheus::Registry registry;
  const BrokerMetrics b1 = broker_metrics({{"broker", "1"}}, registry);
  const BrokerMetrics b2 = broker_metrics({{"broker", "2"}}, registry);
  EXPECT_EQ(&b1.records_produced.family(), &b2.records_produced.family());
  b1.records_produced.add({{"topic", "orders"}}).Increment(3);
  b2.records_produced.add({{"topic", "orders"}}).Increment(4);
  b2.records_produced.add({{"topic", "orders"}}).Increment(1);
  const auto families = registry.Collect();
  const auto* one =
      find_series(families, metric::kRecordsProduced, {{"broker", "1"}, {"topic", "orders"}});
  const auto* two =
      find_series(families, metric::kRecordsProduced, {{"broker", "2"}, {"topic", "orders"}});
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(one->counter.value, 3);
  EXPECT_EQ(two->counter.value, 5);
}

TEST(Metrics, RemoveDropsOnlyThatSeries) {
  prometheus::Registry registry;
  const BrokerMetrics m = broker_metrics({}, registry);
  m.high_watermark.add({{"topic", "a"}, {"partition", "0"}}).Set(10);
  m.high_watermark.add({{"topic", "b"}, {"partition", "0"}}).Set(20);
  m.high_watermark.remove({{"topic", "a"}, {"partition", "0"}});
  m.high_watermark.remove({{"topic", "never"}, {"partition", "0"}});  // no-op
  const auto families = registry.Collect();
  EXPECT_EQ(
      find_series(families, metric::kPartitionHighWatermark, {{"topic", "a"}, {"partition", "0"}}),
      nullptr);
  const auto* b =
      find_series(families, metric::kPartitionHighWatermark, {{"topic", "b"}, {"partition", "0"}});
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->gauge.value, 20);
}

TEST(Metrics, LatencyHistogramsUseSecondBuckets) {
  prometheus::Registry registry;
  const BrokerMetrics m = broker_metrics({}, registry);
  m.request_latency.add({{"request", "produce"}}).Observe(0.003);  // 3 ms
  const auto families = registry.Collect();
  const auto* series = find_series(families, metric::kRequestLatency, {{"request", "produce"}});
  ASSERT_NE(series, nullptr);
  const auto& buckets = series->histogram.bucket;
  ASSERT_EQ(buckets.size(), request_latency_buckets().size() + 1);  // + the +Inf bucket
  EXPECT_DOUBLE_EQ(buckets.front().upper_bound, 0.0005);
  EXPECT_DOUBLE_EQ(buckets[buckets.size() - 2].upper_bound, 10.0);
  for (const auto& bucket : buckets) {
    EXPECT_EQ(bucket.cumulative_count, bucket.upper_bound >= 0.003 ? 1u : 0u)
        << "le=" << bucket.upper_bound;
  }
  const auto mirror = mirror_latency_buckets();
  EXPECT_DOUBLE_EQ(mirror.back(), 300.0);
}

TEST(Metrics, LinkStateIsOneHot) {
  prometheus::Registry registry;
  const MirrorMetrics m = mirror_metrics({}, registry);
  m.set_link_state("east-west", LinkState::kActive);
  m.set_link_state("east-west", LinkState::kFailed);
  const auto families = registry.Collect();
  int ones = 0;
  for (std::string_view state : {"active", "paused", "connecting", "failed", "stopped"}) {
    const auto* s = find_series(families, metric::kMirrorLinkState,
                                {{"link", "east-west"}, {"state", std::string(state)}});
    ASSERT_NE(s, nullptr) << state;
    ones += s->gauge.value == 1 ? 1 : 0;
    EXPECT_EQ(s->gauge.value, state == "failed" ? 1 : 0) << state;
  }
  EXPECT_EQ(ones, 1);
}

TEST(Metrics, ProcessRegistryCarriesBuildInfo) {
  const auto families = registry().Collect();
  const auto* info = find_series(
      families, metric::kBuildInfo,
      {{"version", std::string(build_version())}, {"revision", std::string(build_revision())}});
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->gauge.value, 1);
  EXPECT_FALSE(build_version().empty());
  EXPECT_EQ(&registry(), &registry());
}

TEST(MetricDocs, DocsTableListsEveryMetricWithItsType) {
  std::ifstream in(std::string(MERIDIAN_SOURCE_DIR) + "/docs/metrics.md");
  ASSERT_TRUE(in) << "docs/metrics.md missing";
  std::stringstream text;
  text << in.rdbuf();
  std::istringstream lines(text.str());
  std::set<std::string> documented;
  for (std::string line; std::getline(lines, line);) {
    for (const MetricSpec& spec : metric_catalogue()) {
      const std::string cell =
          "| `" + std::string(spec.name) + "` | " + std::string(to_string(spec.kind)) + " |";
      if (line.rfind(cell, 0) == 0) {
        documented.insert(std::string(spec.name));
      }
    }
  }
  for (const MetricSpec& spec : metric_catalogue()) {
    EXPECT_TRUE(documented.contains(std::string(spec.name)))
        << spec.name << ": regenerate the table with `meridian_metric_names --markdown`";
  }
}

}  // namespace
}  // namespace meridian::admin
