// v3 admin routes and the stateless read route over ClusterAdmin. Every handler: check (Accept,
// cluster id, names; pure) -> ClusterAdmin (async) -> render (json/metadata.h).
#include <charconv>
#include <nlohmann/json.hpp>

#include "cluster/protocol/messages/configs.h"
#include "gateway/content_type.h"
#include "gateway/json/consumer.h"
#include "gateway/json/json_util.h"
#include "gateway/response.h"
#include "gateway/routes/admin_routes.h"

namespace meridian::gateway {

namespace asio = boost::asio;
using OJson = nlohmann::ordered_json;

namespace {

struct V3Call {
  RequestContext& ctx;
  json::V3Context v3;
};

std::optional<int32_t> parse_id(const std::string& s) {
  int32_t v = -1;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) {
    return std::nullopt;
  }
  return v;
}

Response json_ok(const Request& req, std::string body, http::status status = http::status::ok) {
  return make_response(status, std::move(body), "application/json", req.version());
}

Response err(const Request& req, ApiError e) { return make_error_response(e, req); }

// Accept, body content type (when there is a body), cluster id and topic/partition params.
std::optional<ApiError> check(RequestContext& ctx, const std::string& cluster_id) {
  if (auto a = negotiate(ctx.request[http::field::accept], v3_producibles()); !a) {
    return a.error();
  }
  if (!ctx.request.body().empty()) {
    auto ct = parse_content_type(ctx.request[http::field::content_type]);
    if (!ct || ct->kind != MediaKind::kJson) {
      return api_error(errc::unsupported_media_type);
    }
  }
  const std::string& c = ctx.params.get("cluster_id");
  if (ctx.params.size() > 0 && !c.empty() && c != cluster_id) {
    return api_error(errc::not_found, "Cluster " + c + " not found.");
  }
  const std::string& t = ctx.params.get("topic");
  if (!t.empty() && !json::valid_topic_name(t)) {
    return api_error(errc::topic_not_found);
  }
  return std::nullopt;
}

json::V3Context v3_context(const Request& req, const std::string& cluster_id) {
  return {"http://" + std::string(req[http::field::host]) + "/v3", cluster_id};
}

// The element of a rendered list whose `field` equals `value`, as a JSON document.
std::optional<std::string> pick(const std::string& list, const char* field, const OJson& value) {
  OJson j = OJson::parse(list, nullptr, false);
  if (j.is_discarded()) {
    return std::nullopt;
  }
  for (const auto& item : j["data"]) {
    if (item.contains(field) && item[field] == value) {
      return item.dump();
    }
  }
  return std::nullopt;
}

std::string render_broker_configs(const json::V3Context& c, int32_t broker,
                                  const std::vector<json::V3Config>& configs) {
  // Same shape as topic configs (json/metadata.cc), with the broker's identity.
  std::string topic_shape = json::render_v3_topic_configs(c, "-", configs);
  OJson j = OJson::parse(topic_shape);
  const std::string id = std::to_string(broker);
  j["kind"] = "KafkaBrokerConfigList";
  j["metadata"]["self"] = c.base + "/clusters/" + c.cluster_id + "/brokers/" + id + "/configs";
  for (auto& item : j["data"]) {
    item.erase("topic_name");
    item["kind"] = "KafkaBrokerConfig";
    item["broker_id"] = broker;
    const std::string name = item["name"];
    item["metadata"]["self"] =
        c.base + "/clusters/" + c.cluster_id + "/brokers/" + id + "/configs/" + name;
    item["metadata"]["resource_name"] =
        "crn:///kafka=" + c.cluster_id + "/broker=" + id + "/config=" + name;
  }
  return j.dump();
}

std::string render_consumers(const json::V3Context& c, const GroupView& g) {
  OJson data = OJson::array();
  const std::string base = c.base + "/clusters/" + c.cluster_id + "/consumer-groups/" +
                           g.group.consumer_group_id + "/consumers";
  for (const auto& m : g.members) {
    OJson j;
    j["kind"] = "KafkaConsumer";
    j["metadata"] = {{"self", base + "/" + m.member_id},
                     {"resource_name", "crn:///kafka=" + c.cluster_id + "/consumer-group=" +
                                           g.group.consumer_group_id + "/consumer=" + m.member_id}};
    j["cluster_id"] = c.cluster_id;
    j["consumer_group_id"] = g.group.consumer_group_id;
    j["consumer_id"] = m.member_id;
    j["instance_id"] = m.group_instance_id ? OJson(*m.group_instance_id) : OJson(nullptr);
    j["client_id"] = m.client_id;
    OJson assignments = OJson::array();
    for (const auto& a : m.assignment) {
      assignments.push_back({{"topic_name", a.topic}, {"partition_id", a.partition.value}});
    }
    j["assignments"] = std::move(assignments);
    data.push_back(std::move(j));
  }
  OJson list;
  list["kind"] = "KafkaConsumerList";
  list["metadata"] = {{"self", base}, {"next", nullptr}};
  list["data"] = std::move(data);
  return list.dump();
}

// Body {"partitions_count": N} of PATCH /topics/{t}.
ApiResult<int32_t> parse_patch_topic(std::string_view body) {
  auto j = json::parse_body(body);
  if (!j) {
    return j.error();
  }
  if (auto u = json::reject_unknown(*j, {"partitions_count"}); !u) {
    return u.error();
  }
  auto n = json::get_int(*j, "partitions_count", 1, 1000000);
  if (!n) {
    return n.error();
  }
  if (!*n) {
    return api_error(errc::unprocessable, "partitions_count may not be null");
  }
  return static_cast<int32_t>(**n);
}

// Body {"data":[{"name":"k","value":"v"|null,"operation":"SET"|"DELETE"}]} of configs:alter.
ApiResult<std::vector<std::pair<std::string, std::optional<std::string>>>> parse_alter(
    std::string_view body) {
  auto j = json::parse_body(body);
  if (!j) {
    return j.error();
  }
  auto data = json::get_array(*j, "data");
  if (!data) {
    return data.error();
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  for (const auto& item : **data) {
    if (!item.is_object()) {
      return api_error(errc::unprocessable, "data entries must be objects");
    }
    auto name = json::get_string(item, "name");
    auto value = json::get_string(item, "value");
    auto op = json::get_string(item, "operation");
    if (!name || !value || !op) {
      return !name ? name.error() : !value ? value.error() : op.error();
    }
    if (!*name) {
      return api_error(errc::unprocessable, "name may not be null");
    }
    const bool remove = *op && **op == "DELETE";
    out.emplace_back(**name, remove ? std::nullopt : *value);
  }
  return out;
}

}  // namespace

void add_v3_admin_routes(Router& router, ClusterAdmin& admin) {
  ClusterAdmin* a = &admin;
  using V = http::verb;
  // Wraps a body(V3Call&) coroutine with the common checks.
  auto add = [&router, a](V verb, std::string_view pattern, auto body, std::string name) {
    router.add(
        verb, pattern,
        [a, body](RequestContext& ctx) -> asio::awaitable<Response> {
          const std::string& cid = a->cluster_id();
          if (auto e = check(ctx, cid)) {
            co_return err(ctx.request, *e);
          }
          V3Call call{ctx, v3_context(ctx.request, cid)};
          Response r = co_await body(call, *a);
          co_return r;
        },
        std::move(name));
  };
  const std::string c = "/v3/clusters/{cluster_id}";
  add(V::get, "/v3/clusters", [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
    auto v = co_await s.cluster();
    co_return v ? json_ok(k.ctx.request, json::render_v3_clusters(k.v3, v->controller))
                : err(k.ctx.request, v.error());
  }, "v3.clusters.list");
  add(V::get, c, [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
    auto v = co_await s.cluster();
    co_return v ? json_ok(k.ctx.request, json::render_v3_cluster(k.v3, v->controller))
                : err(k.ctx.request, v.error());
  }, "v3.cluster.get");
  add(V::get, c + "/brokers", [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
    auto v = co_await s.cluster();
    co_return v ? json_ok(k.ctx.request, json::render_v3_brokers(k.v3, v->brokers))
                : err(k.ctx.request, v.error());
  }, "v3.brokers.list");
  add(V::get, c + "/brokers/{broker_id}",
      [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
        auto id = parse_id(k.ctx.params.get("broker_id"));
        auto v = co_await s.cluster();
        if (!v) {
          co_return err(k.ctx.request, v.error());
        }
        for (const auto& b : v->brokers) {
          if (id && b.broker_id.value == *id) {
            co_return json_ok(k.ctx.request, json::render_v3_broker(k.v3, b));
          }
        }
        co_return err(k.ctx.request, api_error(errc::not_found, "Broker not found."));
      },
      "v3.broker.get");
  add(V::get, c + "/brokers/{broker_id}/configs",
      [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
        auto id = parse_id(k.ctx.params.get("broker_id"));
        if (!id) {
          co_return err(k.ctx.request, api_error(errc::not_found, "Broker not found."));
        }
        std::string broker = std::to_string(*id);
        auto v = co_await s.configs(protocol::kConfigResourceBroker, broker);
        co_return v ? json_ok(k.ctx.request, render_broker_configs(k.v3, *id, *v))
                    : err(k.ctx.request, v.error());
      },
      "v3.broker.configs");
  add(V::get, c + "/topics", [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
    auto v = co_await s.v3_topics();
    co_return v ? json_ok(k.ctx.request, json::render_v3_topics(k.v3, *v))
                : err(k.ctx.request, v.error());
  }, "v3.topics.list");
  add(V::post, c + "/topics", [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
    auto parsed = json::parse_v3_create_topic(k.ctx.request.body());
    if (!parsed) {
      co_return err(k.ctx.request, parsed.error());
    }
    auto v = co_await s.create_topic(std::move(*parsed));
    co_return v ? json_ok(k.ctx.request, json::render_v3_topic(k.v3, *v), http::status::created)
                : err(k.ctx.request, v.error());
  }, "v3.topics.create");
  add(V::get, c + "/topics/{topic}", [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
    auto v = co_await s.v3_topic(k.ctx.params.get("topic"));
    co_return v ? json_ok(k.ctx.request, json::render_v3_topic(k.v3, *v))
                : err(k.ctx.request, v.error());
  }, "v3.topic.get");
  add(V::patch, c + "/topics/{topic}",
      [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
        auto n = parse_patch_topic(k.ctx.request.body());
        if (!n) {
          co_return err(k.ctx.request, n.error());
        }
        std::string topic = k.ctx.params.get("topic");
        auto done = co_await s.create_partitions(topic, *n);
        if (!done) {
          co_return err(k.ctx.request, done.error());
        }
        auto v = co_await s.v3_topic(topic);
        co_return v ? json_ok(k.ctx.request, json::render_v3_topic(k.v3, *v))
                    : err(k.ctx.request, v.error());
      },
      "v3.topic.patch");
  add(V::delete_, c + "/topics/{topic}",
      [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
        auto done = co_await s.delete_topic(k.ctx.params.get("topic"));
        if (!done) {
          co_return err(k.ctx.request, done.error());
        }
        Response r{http::status::no_content, k.ctx.request.version()};
        co_return r;
      },
      "v3.topic.delete");
  add(V::get, c + "/topics/{topic}/configs",
      [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
        std::string topic = k.ctx.params.get("topic");
        auto exists = co_await s.v3_topic(topic);
        if (!exists) {
          co_return err(k.ctx.request, exists.error());
        }
        auto v = co_await s.configs(protocol::kConfigResourceTopic, topic);
        co_return v ? json_ok(k.ctx.request, json::render_v3_topic_configs(k.v3, topic, *v))
                    : err(k.ctx.request, v.error());
      },
      "v3.topic.configs");
  add(V::post, c + "/topics/{topic}/configs:alter",
      [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
        auto parsed = parse_alter(k.ctx.request.body());
        if (!parsed) {
          co_return err(k.ctx.request, parsed.error());
        }
        auto done = co_await s.alter_configs(protocol::kConfigResourceTopic,
                                             k.ctx.params.get("topic"), std::move(*parsed));
        if (!done) {
          co_return err(k.ctx.request, done.error());
        }
        Response r{http::status::no_content, k.ctx.request.version()};
        co_return r;
      },
      "v3.topic.configs.alter");
  auto partitions = [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<ApiResult<TopicInfo>> {
    auto t = co_await s.topic(k.ctx.params.get("topic"));
    co_return t;
  };
  add(V::get, c + "/topics/{topic}/partitions",
      [partitions](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
        auto t = co_await partitions(k, s);
        co_return t ? json_ok(k.ctx.request,
                              json::render_v3_partitions(k.v3, t->name, t->partitions))
                    : err(k.ctx.request, t.error());
      },
      "v3.partitions.list");
  // One partition, its replicas, one replica: all cut from the topic's metadata.
  auto one = [partitions](V3Call& k, ClusterAdmin& s,
                          int what) -> asio::awaitable<Response> {
    auto p = parse_id(k.ctx.params.get("partition"));
    auto t = co_await partitions(k, s);
    if (!t) {
      co_return err(k.ctx.request, t.error());
    }
    const PartitionInfo* found = nullptr;
    for (const auto& x : t->partitions) {
      if (p && x.partition.value == *p) {
        found = &x;
      }
    }
    if (found == nullptr) {
      co_return err(k.ctx.request, api_error(errc::partition_not_found));
    }
    if (what == 0) {
      std::span<const PartitionInfo> single(found, 1);
      auto item = pick(json::render_v3_partitions(k.v3, t->name, single), "partition_id", *p);
      co_return json_ok(k.ctx.request, item.value_or("{}"));
    }
    std::string replicas = json::render_v3_replicas(k.v3, t->name, *found);
    if (what == 1) {
      co_return json_ok(k.ctx.request, std::move(replicas));
    }
    auto b = parse_id(k.ctx.params.get("broker_id"));
    auto item = b ? pick(replicas, "broker_id", *b) : std::nullopt;
    co_return item ? json_ok(k.ctx.request, std::move(*item))
                   : err(k.ctx.request, api_error(errc::not_found, "Replica not found."));
  };
  add(V::get, c + "/topics/{topic}/partitions/{partition}",
      [one](V3Call& k, ClusterAdmin& s) { return one(k, s, 0); }, "v3.partition.get");
  add(V::get, c + "/topics/{topic}/partitions/{partition}/replicas",
      [one](V3Call& k, ClusterAdmin& s) { return one(k, s, 1); }, "v3.replicas.list");
  add(V::get, c + "/topics/{topic}/partitions/{partition}/replicas/{broker_id}",
      [one](V3Call& k, ClusterAdmin& s) { return one(k, s, 2); }, "v3.replica.get");
  add(V::get, c + "/topics/{topic}/partitions/{partition}/offset",
      [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
        auto p = parse_id(k.ctx.params.get("partition"));
        if (!p) {
          co_return err(k.ctx.request, api_error(errc::partition_not_found));
        }
        std::string topic = k.ctx.params.get("topic");
        const PartitionId partition(*p);
        auto o = co_await s.offsets(topic, partition);
        co_return o ? json_ok(k.ctx.request, json::render_v3_partition_offsets(
                                                 k.v3, topic, partition, *o))
                    : err(k.ctx.request, o.error());
      },
      "v3.partition.offset");
  add(V::get, c + "/consumer-groups", [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
    auto v = co_await s.groups();
    if (!v) {
      co_return err(k.ctx.request, v.error());
    }
    std::vector<json::V3ConsumerGroup> groups;
    for (const auto& g : *v) {
      groups.push_back(g.group);
    }
    co_return json_ok(k.ctx.request, json::render_v3_consumer_groups(k.v3, groups));
  }, "v3.groups.list");
  add(V::get, c + "/consumer-groups/{group}",
      [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
        auto v = co_await s.group(k.ctx.params.get("group"));
        if (!v) {
          co_return err(k.ctx.request, v.error());
        }
        std::span<const json::V3ConsumerGroup> single(&v->group, 1);
        auto item = pick(json::render_v3_consumer_groups(k.v3, single), "consumer_group_id",
                         v->group.consumer_group_id);
        co_return json_ok(k.ctx.request, item.value_or("{}"));
      },
      "v3.group.get");
  add(V::get, c + "/consumer-groups/{group}/consumers",
      [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
        auto v = co_await s.group(k.ctx.params.get("group"));
        co_return v ? json_ok(k.ctx.request, render_consumers(k.v3, *v))
                    : err(k.ctx.request, v.error());
      },
      "v3.group.consumers");
  add(V::get, c + "/consumer-groups/{group}/lags",
      [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
        auto v = co_await s.lags(k.ctx.params.get("group"));
        co_return v ? json_ok(k.ctx.request, json::render_v3_lags(k.v3, *v))
                    : err(k.ctx.request, v.error());
      },
      "v3.group.lags");
  add(V::get, c + "/consumer-groups/{group}/lag-summary",
      [](V3Call& k, ClusterAdmin& s) -> asio::awaitable<Response> {
        std::string group = k.ctx.params.get("group");
        auto v = co_await s.lags(group);
        if (!v) {
          co_return err(k.ctx.request, v.error());
        }
        if (v->empty()) {
          co_return err(k.ctx.request, api_error(errc::consumer_group_not_found));
        }
        co_return json_ok(k.ctx.request, json::render_v3_lag_summary(k.v3, group, *v));
      },
      "v3.group.lag_summary");
}

}  // namespace meridian::gateway
