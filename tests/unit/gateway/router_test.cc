#include "gateway/router.h"

#include <gtest/gtest.h>

namespace meridian::gateway {
namespace {

namespace asio = boost::asio;

Handler dummy() {
  return [](RequestContext&) -> asio::awaitable<Response> { co_return Response{}; };
}

Router make_router() {
  Router r;
  r.add(http::verb::post, "/topics/{topic}", dummy(), "topic.produce");
  r.add(http::verb::get, "/topics/{topic}", dummy(), "topic.get");
  r.add(http::verb::get, "/topics", dummy(), "topics.list");
  r.add(http::verb::post, "/topics/{topic}/partitions/{partition}", dummy(), "partition.produce");
  r.add(http::verb::post, "/consumers/{group}", dummy(), "consumer.create");
  r.add(http::verb::post, "/v3/clusters/{cluster_id}/topics/{topic}/records:batch", dummy(),
        "v3.batch");
  return r;
}

TEST(Router, MatchesAndDecodesParams) {
  Router r = make_router();
  auto m = r.match(http::verb::post, "/topics/my%2Dtopic/partitions/3?x=1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->route_name, "partition.produce");
  EXPECT_EQ(m->params.get("topic"), "my-topic");
  EXPECT_EQ(m->params.get("partition"), "3");
  EXPECT_EQ(m->params.get("nope"), "");
  EXPECT_EQ(m->query, "x=1");
  auto list = r.match(http::verb::get, "/topics");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->route_name, "topics.list");
  auto slash = r.match(http::verb::post, "/consumers/testgroup/");
  ASSERT_TRUE(slash);  // trailing slash as in the Confluent docs' example
  EXPECT_EQ(slash->params.get("group"), "testgroup");
  auto batch = r.match(http::verb::post, "/v3/clusters/c1/topics/t/records:batch");
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->params.get("cluster_id"), "c1");
}

TEST(Router, NotFoundAndMethodNotAllowed) {
  Router r = make_router();
  for (const char* t : {"/", "/nope", "/topics/a/b", "/topics/a/partitions", "/topics//x",
                        "/TOPICS", "/topics/a/partitions/1/extra"}) {
    auto m = r.match(http::verb::get, t);
    ASSERT_FALSE(m) << t;
    EXPECT_EQ(m.error().kind, errc::not_found) << t;
  }
  auto m = r.match(http::verb::delete_, "/topics/a");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().kind, errc::method_not_allowed);
  EXPECT_EQ(r.allowed_methods("/topics/a"), "POST, GET");
  EXPECT_EQ(r.allowed_methods("/zzz"), "");
}

TEST(Router, RejectsTraversalAndBadEncoding) {
  Router r = make_router();
  for (const char* t :
       {"/topics/..", "/topics/../topics", "/topics/%2e%2e", "/topics/%2E%2E/x", "/topics/.",
        "/topics/%2e", "/topics/a%00b", "/topics/a%0ab", "/topics/%zz", "/topics/%", "/topics/%4",
        "topics/a", "*", "http://evil/topics/a", "/topics/a b", "/topics/\x7f"}) {
    auto m = r.match(http::verb::get, t);
    ASSERT_FALSE(m) << t;
    EXPECT_EQ(m.error().kind, errc::bad_request) << t;
  }
  // An encoded slash stays inside the segment: no route sees "a/b" as two segments.
  auto m = r.match(http::verb::get, "/topics/a%2Fb");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params.get("topic"), "a/b");
}

TEST(QueryParam, Decodes) {
  EXPECT_EQ(query_param("timeout=3000&max_bytes=300000", "max_bytes"), "300000");
  EXPECT_EQ(query_param("timeout=3000&max_bytes=300000", "timeout"), "3000");
  EXPECT_EQ(query_param("a=b%20c+d", "a"), "b c d");
  EXPECT_EQ(query_param("verbose", "verbose"), "");
  EXPECT_FALSE(query_param("a=1", "b"));
  EXPECT_FALSE(query_param("a=%zz", "a"));
  EXPECT_FALSE(query_param("", "a"));
}

}  // namespace
}  // namespace meridian::gateway
