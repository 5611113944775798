#include "gateway/response.h"
#include "gateway/routes/routes.h"
#include "gateway/server.h"

namespace meridian::gateway {

namespace asio = boost::asio;

void add_health_routes(Router& router, std::function<Readiness()> readiness) {
  auto live = [](RequestContext& ctx) -> asio::awaitable<Response> {
    std::string body = query_param(ctx.query, "verbose") ? "ok: process alive\n" : "ok\n";
    co_return make_response(http::status::ok, std::move(body), "text/plain; charset=utf-8",
                            ctx.request.version());
  };
  auto ready = [readiness](RequestContext& ctx) -> asio::awaitable<Response> {
    Readiness r = readiness();
    bool verbose = query_param(ctx.query, "verbose").has_value();
    std::string body = r.ready ? "ok\n" : "not ready: " + r.reason + "\n";
    if (verbose && r.ready && !r.reason.empty()) {
      body = "ok: " + r.reason + "\n";
    }
    co_return make_response(r.ready ? http::status::ok : http::status::service_unavailable,
                            std::move(body), "text/plain; charset=utf-8", ctx.request.version());
  };
  for (const char* path : {"/healthz", "/livez"}) {
    router.add(http::verb::get, path, live, "health.live");
  }
  for (const char* path : {"/readyz", "/v1/status/ready"}) {
    router.add(http::verb::get, path, ready, "health.ready");
  }
}

}  // namespace meridian::gateway
