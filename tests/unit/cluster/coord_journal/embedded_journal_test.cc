// EmbeddedEnsemble::open(dir): persistent nodes, their stats and the txid counter survive a
// reopen; ephemerals do not; a torn tail (a crash mid-append) is ignored, not fatal.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "cluster/coord/embedded_ensemble.h"

namespace meridian::coord {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("coord-journal-" + std::to_string(std::random_device{}()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<EmbeddedEnsemble> open() {
    auto e = EmbeddedEnsemble::open(dir_);
    EXPECT_TRUE(e.has_value());
    return e ? *e : nullptr;
  }

  fs::path dir_;
};

TEST_F(JournalTest, PersistentNodesSurviveReopenEphemeralsDoNot) {
  int64_t topic_czxid = 0;
  {
    auto ensemble = open();
    auto s = ensemble->connect(std::chrono::milliseconds(6000));
    ASSERT_TRUE(s->create("/brokers", "", CreateMode::kPersistent));
    ASSERT_TRUE(s->create("/brokers/topics", "", CreateMode::kPersistent));
    ASSERT_TRUE(s->create("/brokers/topics/t", "{\"p\":1}", CreateMode::kPersistent));
    ASSERT_TRUE(s->set("/brokers/topics/t", "{\"p\":2}", NodeVersion(0)));
    ASSERT_TRUE(s->create("/brokers/ids", "", CreateMode::kPersistent));
    ASSERT_TRUE(s->create("/brokers/ids/1", "me", CreateMode::kEphemeral));
    ASSERT_TRUE(s->create("/seq", "", CreateMode::kPersistent));
    ASSERT_TRUE(s->create("/seq/n_", "", CreateMode::kPersistentSequential));
    ASSERT_TRUE(s->create("/gone", "", CreateMode::kPersistent));
    ASSERT_TRUE(s->multi({Op::remove("/gone")}, nullptr));
    // A failed multi leaves nothing behind, in memory or on disk.
    ASSERT_FALSE(s->multi({Op::create("/half", "", CreateMode::kPersistent),
                           Op::check("/nope", kAnyVersion)}, nullptr));
    topic_czxid = s->get("/brokers/topics/t")->stat.create_txid;
    s->close();
  }
  auto ensemble = open();
  auto s = ensemble->connect(std::chrono::milliseconds(6000));
  auto t = s->get("/brokers/topics/t");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->data, "{\"p\":2}");
  EXPECT_EQ(t->stat.version, NodeVersion(1));
  EXPECT_EQ(t->stat.create_txid, topic_czxid);
  EXPECT_FALSE(s->exists("/brokers/ids/1")->has_value());
  EXPECT_FALSE(s->exists("/gone")->has_value());
  EXPECT_FALSE(s->exists("/half")->has_value());
  EXPECT_EQ(*s->children("/brokers"), (std::vector<std::string>{"ids", "topics"}));
  // The sequence and txid counters continue: no name or creation id is handed out twice.
  auto next = s->create("/seq/n_", "", CreateMode::kPersistentSequential);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, "/seq/n_0000000001");
  ASSERT_TRUE(s->create("/new", "", CreateMode::kPersistent));
  EXPECT_GT(s->get("/new")->stat.create_txid, topic_czxid);
}

TEST_F(JournalTest, TornTailIsIgnored) {
  {
    auto ensemble = open();
    auto s = ensemble->connect(std::chrono::milliseconds(6000));
    ASSERT_TRUE(s->create("/a", "1", CreateMode::kPersistent));
    ASSERT_TRUE(s->create("/b", "2", CreateMode::kPersistent));
    s->close();
  }
  {
    std::ofstream out(dir_ / "journal", std::ios::binary | std::ios::app);
    out << "\x30\x00\x00\x00garbage";  // a record header whose payload never made it
  }
  auto ensemble = open();
  auto s = ensemble->connect(std::chrono::milliseconds(6000));
  EXPECT_EQ(s->get("/a")->data, "1");
  EXPECT_EQ(s->get("/b")->data, "2");
  ASSERT_TRUE(s->create("/c", "3", CreateMode::kPersistent));
  s->close();
  ensemble.reset();
  auto again = open();
  auto s2 = again->connect(std::chrono::milliseconds(6000));
  EXPECT_EQ(s2->get("/c")->data, "3");  // appended after the reopen's compaction
}

}  // namespace
}  // namespace meridian::coord
