// LinkMetrics (mirror/link_metrics.h) without a link: the state mapping from LinkStatus, the
// per-partition lag gauges and their removal, the copy counters and the latency histogram, the
// error counters per kind (copy-loop messages classified, fenced partitions and link-level
// messages counted by the sampler) and the last error.
#include "mirror/link_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <string>

#include "mirror/link.h"

namespace meridian::mirror {
namespace {

using Labels = std::map<std::string, std::string>;

// The value of the series of `name` whose labels include `want`; nullopt when absent.
std::optional<double> value(prometheus::Registry& registry, const std::string& name,
                            const Labels& want, bool count = false) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) {
      continue;
    }
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : want) {
        bool found = false;
        for (const auto& label : metric.label) {
          found = found || (label.name == k && label.value == v);
        }
        match = match && found;
      }
      if (!match) {
        continue;
      }
      if (family.type == prometheus::MetricType::Counter) {
        return metric.counter.value;
      }
      if (family.type == prometheus::MetricType::Histogram) {
        return count ? static_cast<double>(metric.histogram.sample_count)
                     : metric.histogram.sample_sum;
      }
      return metric.gauge.value;
    }
  }
  return std::nullopt;
}

LinkStatus status_with(const std::string& link_state, const std::string& topic_state,
                       const std::string& partition_state, int partitions) {
  LinkStatus s;
  s.name = "east-west";
  s.state = link_state;
  MirrorTopicStatus t;
  t.source_topic = t.mirror_topic = "orders";
  t.state = topic_state;
  for (int p = 0; p < partitions; ++p) {
    PartitionStatus ps;
    ps.partition = p;
    ps.state = partition_state;
    ps.lag_records = 10 * p;
    ps.lag_seconds = 0.5 * p;
    ps.lag_bytes = 1000 * p;
    t.partitions.push_back(ps);
  }
  s.mirrors.push_back(t);
  return s;
}

double state_of(prometheus::Registry& r, const std::string& state) {
  return value(r, "meridian_mirror_link_state", {{"link", "east-west"}, {"state", state}})
      .value_or(-1);
}

TEST(LinkMetrics, StateFollowsTheStatus) {
  prometheus::Registry registry;
  LinkMetrics m("east-west", {{"datacenter", "west"}}, registry);
  EXPECT_EQ(state_of(registry, "connecting"), 1);  // before the first sample
  m.update(status_with("active", "active", "mirroring", 2));
  EXPECT_EQ(state_of(registry, "active"), 1);
  EXPECT_EQ(state_of(registry, "connecting"), 0);
  EXPECT_EQ(m.state(), admin::LinkState::kActive);
  m.update(status_with("unreachable", "active", "mirroring", 2));
  EXPECT_EQ(state_of(registry, "connecting"), 1);
  m.update(status_with("active", "active", "backoff", 2));  // every copy failing: a cut link
  EXPECT_EQ(state_of(registry, "connecting"), 1);
  EXPECT_EQ(state_of(registry, "active"), 0);
  m.update(status_with("active", "active", "error", 2));
  EXPECT_EQ(state_of(registry, "failed"), 1);
  m.update(status_with("active", "paused", "stopped", 2));
  EXPECT_EQ(state_of(registry, "paused"), 1);
  m.stop();
  EXPECT_EQ(state_of(registry, "stopped"), 1);
  EXPECT_EQ(state_of(registry, "paused"), 0);
}

TEST(LinkMetrics, LagPerPartitionAndRemovalOfGoneSeries) {
  prometheus::Registry registry;
  LinkMetrics m("east-west", {}, registry);
  m.update(status_with("active", "active", "mirroring", 3));
  Labels p2{{"link", "east-west"}, {"topic", "orders"}, {"partition", "2"}};
  EXPECT_EQ(value(registry, "meridian_mirror_lag_records", p2), 20);
  EXPECT_EQ(value(registry, "meridian_mirror_lag_seconds", p2), 1.0);
  EXPECT_EQ(value(registry, "meridian_mirror_lag_bytes", p2), 2000);
  // Promoted: no longer mirrored, so no lag series.
  m.update(status_with("active", "promoted", "stopped", 3));
  EXPECT_FALSE(value(registry, "meridian_mirror_lag_records", p2).has_value());
  EXPECT_FALSE(value(registry, "meridian_mirror_lag_seconds", p2).has_value());
  EXPECT_FALSE(value(registry, "meridian_mirror_lag_bytes", p2).has_value());
}

TEST(LinkMetrics, CopiesCountRecordsBytesAndLatency) {
  prometheus::Registry registry;
  LinkMetrics m("east-west", {}, registry);
  m.on_copied("orders", 5, 500, 0.25);
  m.on_copied("orders", 3, 300, -1);  // no timestamp: counted, not observed
  Labels t{{"link", "east-west"}, {"topic", "orders"}};
  EXPECT_EQ(value(registry, "meridian_mirror_records_total", t), 8);
  EXPECT_EQ(value(registry, "meridian_mirror_bytes_total", t), 800);
  EXPECT_EQ(value(registry, "meridian_mirror_replication_latency_seconds", t, true), 1);
  EXPECT_DOUBLE_EQ(*value(registry, "meridian_mirror_replication_latency_seconds", t), 0.25);
}

TEST(LinkMetrics, CheckpointLagAgesUntilTheNextSync) {
  prometheus::Registry registry;
  LinkMetrics m("east-west", {}, registry);
  m.update(status_with("active", "active", "mirroring", 1));
  Labels g{{"link", "east-west"}, {"group", "app"}};
  EXPECT_FALSE(value(registry, "meridian_mirror_checkpoint_lag_seconds", g).has_value());
  m.on_checkpoint("app");
  m.update(status_with("active", "active", "mirroring", 1));
  auto lag = value(registry, "meridian_mirror_checkpoint_lag_seconds", g);
  ASSERT_TRUE(lag.has_value());
  EXPECT_GE(*lag, 0);
  EXPECT_LT(*lag, 5);
}

double errors(prometheus::Registry& r, const std::string& kind) {
  return value(r, "meridian_mirror_errors_total", {{"link", "east-west"}, {"kind", kind}})
      .value_or(-1);
}

TEST(LinkMetrics, CopyErrorsAreClassifiedByTheirMessage) {
  EXPECT_EQ(classify_copy_error("source fetch failed: connection refused"),
            ErrorKind::kSourceFetch);
  EXPECT_EQ(classify_copy_error("source log starts at 10, after the mirror's position 3 "
                                "(source truncated; an empty mirror restarts there)"),
            ErrorKind::kSourceTruncated);
  EXPECT_EQ(classify_copy_error("source batch does not start at the mirror's log end 7"),
            ErrorKind::kMisaligned);
  EXPECT_EQ(classify_copy_error("target unreachable: timed out"), ErrorKind::kTargetAppend);
  EXPECT_EQ(classify_copy_error("target refused: NOT_LEADER"), ErrorKind::kTargetAppend);
  EXPECT_EQ(classify_copy_error("mirror append failed: eof"), ErrorKind::kTargetAppend);
  EXPECT_EQ(classify_copy_error("mirror append refused at 5: x"), ErrorKind::kTargetAppend);
  EXPECT_EQ(classify_copy_error("something new"), ErrorKind::kOther);
}

TEST(LinkMetrics, ErrorsAreCountedPerKindWithTheLastOne) {
  prometheus::Registry registry;
  LinkMetrics m("east-west", {}, registry);
  // Every kind exists from the start at 0 (rate() sees the first error).
  EXPECT_EQ(errors(registry, "source_fetch"), 0);
  EXPECT_EQ(errors(registry, "fenced"), 0);
  EXPECT_FALSE(m.last_error().has_value());
  m.on_copy_error("source fetch failed: connection refused");
  m.on_copy_error("source fetch failed: connection refused");
  m.on_copy_error("mirror append failed: eof");
  EXPECT_EQ(errors(registry, "source_fetch"), 2);
  EXPECT_EQ(errors(registry, "target_append"), 1);
  ASSERT_TRUE(m.last_error().has_value());
  EXPECT_EQ(m.last_error()->kind, ErrorKind::kTargetAppend);
  EXPECT_EQ(m.last_error()->message, "mirror append failed: eof");
  EXPECT_EQ(m.error_counts()["source_fetch"], 2);
  auto at = value(registry, "meridian_mirror_last_error_timestamp_seconds",
                  {{"link", "east-west"}, {"kind", "target_append"}});
  ASSERT_TRUE(at.has_value());
  EXPECT_NEAR(*at, static_cast<double>(m.last_error()->unix_ms) / 1000.0, 0.01);
  EXPECT_GT(*at, 1.7e9);  // a Unix time, not a duration
}

TEST(LinkMetrics, SamplerCountsFencedPartitionsAndNewLinkErrorsOnce) {
  prometheus::Registry registry;
  LinkMetrics m("east-west", {}, registry);
  auto s = status_with("active", "active", "error", 2);
  s.last_error = "creating orders: timed out";
  s.group_sync_error = "group app: coordinator not available";
  m.update(s);
  m.update(s);  // the same state again: nothing new
  EXPECT_EQ(errors(registry, "fenced"), 2);
  EXPECT_EQ(errors(registry, "mirror_setup"), 1);
  EXPECT_EQ(errors(registry, "group_sync"), 1);
  EXPECT_EQ(errors(registry, "config_sync"), 0);
  auto unreachable = status_with("unreachable", "active", "mirroring", 2);
  unreachable.last_error = "source 127.0.0.1:1 unreachable: connection refused";
  m.update(unreachable);
  EXPECT_EQ(errors(registry, "source_metadata"), 1);
  m.update(s);  // partitions fenced again after recovering: counted again
  EXPECT_EQ(errors(registry, "fenced"), 4);
}

}  // namespace
}  // namespace meridian::mirror
