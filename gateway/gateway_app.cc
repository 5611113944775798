#include "gateway/gateway_app.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "gateway/cluster_admin.h"
#include "gateway/cluster_consumers.h"
#include "gateway/cluster_context.h"
#include "gateway/cluster_services.h"
#include "gateway/gateway_metrics.h"
#include "gateway/openapi_json.h"
#include "gateway/response.h"
#include "gateway/routes/admin_routes.h"
#include "gateway/routes/routes.h"

namespace meridian::gateway {

struct GatewayApp::Parts {
  std::unique_ptr<ClusterContext> ctx;
  std::unique_ptr<ClusterProduceService> produce;
  std::unique_ptr<ClusterAdmin> admin;
  std::unique_ptr<ClusterConsumerService> consumers;
  std::unique_ptr<Server> server;
  ReadinessProbe probe;
  // readiness() runs on other threads (the admin port): it reads `draining` and calls the probe
  // under this lock, so once shutdown_input() set it, the probe (and ClusterContext) is unused.
  std::mutex ready_mu;
  bool draining = false;  // guarded by ready_mu
  bool stopped = false;
  // Refreshes meridian_gateway_consumer_instances (instance state lives on the client thread).
  std::thread gauge_thread;
  std::mutex gauge_mu;
  std::condition_variable gauge_cv;
  bool gauge_stop = false;  // guarded by gauge_mu

  void start_consumer_gauge(GatewayMetrics metrics, std::chrono::milliseconds period);
  void stop_consumer_gauge();
};

void GatewayApp::Parts::start_consumer_gauge(GatewayMetrics metrics,
                                             std::chrono::milliseconds period) {
  gauge_thread = std::thread([this, metrics, period] {
    std::unique_lock lock(gauge_mu);
    while (!gauge_stop) {
      lock.unlock();
      metrics.set_consumer_instances(consumers->instance_count_for_test());
      lock.lock();
      gauge_cv.wait_for(lock, period, [this] { return gauge_stop; });
    }
  });
}

void GatewayApp::Parts::stop_consumer_gauge() {
  {
    std::lock_guard lock(gauge_mu);
    gauge_stop = true;
  }
  gauge_cv.notify_all();
  if (gauge_thread.joinable()) {
    gauge_thread.join();
  }
}

Result<std::unique_ptr<GatewayApp>> GatewayApp::start(GatewayAppOptions options) {
  std::unique_ptr<GatewayApp> app(new GatewayApp());
  app->parts_ = std::make_unique<Parts>();
  Parts& p = *app->parts_;
  ClusterServiceOptions cso;
  cso.bootstrap_servers = options.bootstrap_servers;
  cso.cluster_id = options.cluster_id;
  cso.producer_linger = options.producer_linger;
  p.ctx = std::make_unique<ClusterContext>(cso);
  p.ctx->start_refresh(options.metadata_refresh);
  p.produce = std::make_unique<ClusterProduceService>(cso);
  p.admin = std::make_unique<ClusterAdmin>(*p.ctx);
  ConsumerServiceOptions cons;
  cons.instance_timeout = options.consumer_instance_timeout;
  cons.request_timeout = options.consumer_request_timeout;
  cons.request_max_bytes = options.consumer_request_max_bytes;
  p.consumers = std::make_unique<ClusterConsumerService>(*p.ctx, cons);
  Router router;
  add_produce_routes(router, *p.produce);
  add_stateless_read_routes(router, *p.admin);
  add_metadata_routes(router, *p.admin);
  add_consumer_routes(router, *p.consumers, ConsumerRouteOptions{options.advertised_base});
  add_v3_admin_routes(router, *p.admin);
  router.add(
      http::verb::get, "/openapi.json",
      [](RequestContext& ctx) -> boost::asio::awaitable<Response> {
        co_return make_response(http::status::ok, std::string(kOpenApiJson), "application/json",
                                ctx.request.version());
      },
      "openapi");
  ClusterContext* ctx = p.ctx.get();
  const auto max_age = options.metadata_max_age;
  auto probe = [ctx, max_age]() -> Readiness {
    auto age = ctx->metadata_age();
    if (!age) {
      return {false, "cluster not reached yet"};
    }
    if (*age > max_age) {
      return {false, "cluster metadata is " + std::to_string(age->count()) + " ms old"};
    }
    return {true, "cluster metadata " + std::to_string(age->count()) + " ms old"};
  };
  p.probe = probe;
  std::optional<GatewayMetrics> metrics;
  if (options.metrics) {
    metrics.emplace(prometheus::Labels(options.metric_labels.begin(), options.metric_labels.end()));
    options.server.observer = metrics->observer();
  }
  p.server = std::make_unique<Server>(options.server, std::move(router), probe);
  auto started = p.server->start();
  if (!started) {
    return started.error();
  }
  if (metrics) {
    p.start_consumer_gauge(*metrics, options.consumer_gauge_refresh);
  }
  return app;
}

GatewayApp::~GatewayApp() {
  if (parts_ && !parts_->stopped) {
    stop(std::chrono::milliseconds(2000));
  }
}

uint16_t GatewayApp::port() const { return parts_->server->port(); }

Readiness GatewayApp::readiness() const {
  std::lock_guard lock(parts_->ready_mu);
  if (parts_->draining) {
    return {false, "draining"};
  }
  return parts_->probe();
}

void GatewayApp::shutdown_input() {
  {
    std::lock_guard lock(parts_->ready_mu);
    parts_->draining = true;
  }
  parts_->server->shutdown_input();
}

void GatewayApp::stop(std::chrono::milliseconds drain_deadline) {
  if (parts_->stopped) {
    return;
  }
  parts_->stopped = true;
  {
    std::lock_guard lock(parts_->ready_mu);
    parts_->draining = true;
  }
  parts_->stop_consumer_gauge();  // before the client thread it asks goes away
  parts_->server->shutdown_input();
  parts_->server->stop(drain_deadline);
  parts_->consumers->close();  // leaves groups while the client thread still runs
  parts_->server.reset();
  parts_->consumers.reset();
  parts_->admin.reset();
  parts_->produce.reset();
  parts_->ctx.reset();
}

}  // namespace meridian::gateway
