#pragma once
// Routes over ClusterAdmin: the v3 admin subset and Meridian's stateless reads.

#include <string>

#include "gateway/cluster_admin.h"
#include "gateway/router.h"

namespace meridian::gateway {

// /v3/clusters[/{c}], brokers[/{b}[/configs]], topics (GET, POST), topics/{t} (GET, PATCH
// partitions_count, DELETE), topics/{t}/configs (GET) and configs:alter (POST),
// topics/{t}/partitions[/{p}[/replicas[/{b}]|/offset]], consumer-groups[/{g}[/consumers|/lags|
// /lag-summary]]. application/json only. `admin` must outlive the router.
void add_v3_admin_routes(Router& router, ClusterAdmin& admin);

// GET /topics/{topic}/partitions/{partition}/records?offset=&max_bytes=&timeout= (no consumer
// instance: any gateway answers). Accept picks binary (default) or json embedding.
struct StatelessReadOptions {
  int64_t default_max_bytes = 1024 * 1024;
  int64_t max_max_bytes = 64 * 1024 * 1024;
  int64_t max_timeout_ms = 30000;
};
void add_stateless_read_routes(Router& router, ClusterAdmin& admin,
                               StatelessReadOptions options = {});

}  // namespace meridian::gateway
