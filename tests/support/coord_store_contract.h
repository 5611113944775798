#pragma once
// The CoordinationStore contract, as one typed test suite that every backend must pass.
// A test binary includes this header ONCE and instantiates it with a Backend type:
//
//   struct MyBackend {
//     coord::CoordConfig config() const;  // a config for a new session
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(Mine, CoordStoreContract, ::testing::Types<MyBackend>);
//
// A Backend is constructed per test. Tests work below a fresh root path so that one shared
// server (ZooKeeper) serves the whole binary.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/coord/coordination_store.h"
#include "tests/support/coord_test_util.h"

namespace meridian::test {

template <class Backend>
class CoordStoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // Unique per run too (--gtest_repeat): the ZooKeeper server outlives a single test.
    static std::atomic<int> run{0};
    root_ = "/contract-" + std::to_string(::getpid()) + "-" + std::to_string(run++) + "-" +
            info->name();
    store_ = open(session_log_.callback());
    ASSERT_TRUE(store_);
    ASSERT_TRUE(coord::ensure_path(*store_, root_));
  }

  std::unique_ptr<coord::CoordinationStore> open(coord::SessionCallback on_session = {}) {
    auto store = coord::make_store(backend_.config(), std::move(on_session));
    EXPECT_TRUE(store) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }

  std::string path(const std::string& leaf) const { return root_ + "/" + leaf; }

  // Declared first: destroyed after the stores whose callbacks point at them.
  SessionLog session_log_;
  EventLog events_;
  Backend backend_;
  std::string root_;
  std::unique_ptr<coord::CoordinationStore> store_;
};

TYPED_TEST_SUITE_P(CoordStoreContract);

using coord::CreateMode;
using coord::errc;
using coord::NodeVersion;
using coord::SessionState;
using coord::WatchEventType;

TYPED_TEST_P(CoordStoreContract, SessionStartsConnectedWithAnId) {
  EXPECT_TRUE(this->session_log_.wait_for(SessionState::kConnected));
  EXPECT_EQ(this->store_->state(), SessionState::kConnected);
  auto other = this->open();
  ASSERT_TRUE(other);
  EXPECT_NE(this->store_->session_id().value, 0);
  EXPECT_NE(other->session_id(), this->store_->session_id());
}

TYPED_TEST_P(CoordStoreContract, CreateGetSetKeepBytesAndVersions) {
  auto& store = *this->store_;
  const std::string node = this->path("n");
  const std::string bytes("a\0b\xff", 4);
  auto created = store.create(node, bytes, CreateMode::kPersistent);
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(*created, node);
  auto got = store.get(node);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, bytes);
  EXPECT_EQ(got->stat.version, NodeVersion(0));
  EXPECT_EQ(got->stat.ephemeral_owner.value, 0);
  auto stat = store.set(node, "second");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->version, NodeVersion(1));
  EXPECT_EQ(store.get(node)->data, "second");
  ASSERT_TRUE(store.set(node, ""));
  got = store.get(node);
  EXPECT_EQ(got->data, "");
  EXPECT_EQ(got->stat.version, NodeVersion(2));
}

TYPED_TEST_P(CoordStoreContract, LargeNodesRoundTrip) {
  std::string big(300 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>(i * 131 % 251);
  }
  ASSERT_TRUE(this->store_->create(this->path("big"), big, CreateMode::kPersistent));
  auto got = this->store_->get(this->path("big"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data.size(), big.size());
  EXPECT_TRUE(got->data == big);
}

TYPED_TEST_P(CoordStoreContract, CreateErrors) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.create(this->path("a"), "", CreateMode::kPersistent));
  EXPECT_EQ(store.create(this->path("a"), "", CreateMode::kPersistent).error(), errc::node_exists);
  EXPECT_EQ(store.create(this->path("missing/child"), "", CreateMode::kPersistent).error(),
            errc::no_node);
  ASSERT_TRUE(store.create(this->path("eph"), "", CreateMode::kEphemeral));
  EXPECT_EQ(store.create(this->path("eph/child"), "", CreateMode::kPersistent).error(),
            errc::no_children_for_ephemerals);
  for (const char* bad : {"relative", "/trailing/", "/double//slash", "/dot/.", ""}) {
    EXPECT_EQ(store.create(bad, "", CreateMode::kPersistent).error(), errc::invalid_path) << bad;
    EXPECT_EQ(store.get(bad).error(), errc::invalid_path) << bad;
  }
  EXPECT_EQ(store.get(this->path("none")).error(), errc::no_node);
  EXPECT_EQ(store.children(this->path("none")).error(), errc::no_node);
  auto exists = store.exists(this->path("none"));
  ASSERT_TRUE(exists);
  EXPECT_FALSE(exists->has_value());
}

TYPED_TEST_P(CoordStoreContract, CompareAndSetChecksVersions) {
  auto& store = *this->store_;
  const std::string node = this->path("cas");
  ASSERT_TRUE(store.create(node, "v0", CreateMode::kPersistent));
  auto first = store.set(node, "v1", NodeVersion(0));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->version, NodeVersion(1));
  EXPECT_EQ(store.set(node, "stale", NodeVersion(0)).error(), errc::bad_version);
  EXPECT_EQ(store.get(node)->data, "v1");
  EXPECT_EQ(store.set(this->path("nope"), "x", NodeVersion(0)).error(), errc::no_node);
  EXPECT_EQ(store.remove(node, NodeVersion(0)).error(), errc::bad_version);
  EXPECT_TRUE(store.remove(node, NodeVersion(1)));
  EXPECT_EQ(store.remove(node).error(), errc::no_node);
}

TYPED_TEST_P(CoordStoreContract, DeleteOfNonEmptyNodeFails) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.create(this->path("p"), "", CreateMode::kPersistent));
  ASSERT_TRUE(store.create(this->path("p/c"), "", CreateMode::kPersistent));
  EXPECT_EQ(store.remove(this->path("p")).error(), errc::not_empty);
  ASSERT_TRUE(store.remove(this->path("p/c")));
  EXPECT_TRUE(store.remove(this->path("p")));
}

TYPED_TEST_P(CoordStoreContract, ChildrenAreSortedNamesAndStatCountsThem) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.create(this->path("d"), "", CreateMode::kPersistent));
  for (const char* name : {"b", "c", "a"}) {
    ASSERT_TRUE(store.create(this->path("d/") + name, "", CreateMode::kPersistent));
  }
  auto kids = store.children(this->path("d"));
  ASSERT_TRUE(kids);
  EXPECT_EQ(*kids, (std::vector<std::string>{"a", "b", "c"}));
  auto stat = store.exists(this->path("d"));
  ASSERT_TRUE(stat && stat->has_value());
  EXPECT_EQ((*stat)->num_children, 3);
  EXPECT_EQ((*stat)->children_version, 3);
  auto a = store.get(this->path("d/a"));
  auto c = store.get(this->path("d/c"));
  EXPECT_LT(c->stat.create_txid, a->stat.create_txid);  // creation order, store-wide
}

TYPED_TEST_P(CoordStoreContract, SequentialNodesGetIncreasingSuffixes) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.create(this->path("q"), "", CreateMode::kPersistent));
  auto first = store.create(this->path("q/item-"), "", CreateMode::kPersistentSequential);
  auto second = store.create(this->path("q/item-"), "", CreateMode::kEphemeralSequential);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, this->path("q/item-0000000000"));
  EXPECT_EQ(*second, this->path("q/item-0000000001"));
  EXPECT_EQ(store.get(*second)->stat.ephemeral_owner, store.session_id());
}

TYPED_TEST_P(CoordStoreContract, EnsurePathCreatesAncestorsAndIsIdempotent) {
  ASSERT_TRUE(coord::ensure_path(*this->store_, this->path("x/y/z")));
  ASSERT_TRUE(coord::ensure_path(*this->store_, this->path("x/y/z")));
  EXPECT_TRUE(this->store_->get(this->path("x/y/z")));
  EXPECT_EQ(coord::ensure_path(*this->store_, "bad").error(), errc::invalid_path);
}

TYPED_TEST_P(CoordStoreContract, EphemeralsVanishWhenTheirSessionCloses) {
  auto other = this->open();
  ASSERT_TRUE(other);
  const std::string node = this->path("broker");
  ASSERT_TRUE(other->create(node, "host:9092", CreateMode::kEphemeral));
  auto seen = this->store_->exists(node, this->events_.watcher());
  ASSERT_TRUE(seen && seen->has_value());
  EXPECT_EQ((*seen)->ephemeral_owner, other->session_id());
  other->close();
  ASSERT_TRUE(this->events_.wait_for(1));
  EXPECT_EQ(this->events_.events()[0].type, WatchEventType::kDeleted);
  EXPECT_EQ(this->events_.events()[0].path, node);
  EXPECT_FALSE(this->store_->exists(node)->has_value());
  EXPECT_EQ(other->state(), SessionState::kClosed);
  EXPECT_EQ(other->get(node).error(), errc::closed);
  other->close();  // idempotent
}

TYPED_TEST_P(CoordStoreContract, SessionExpiryDeletesEphemeralsAndIsReported) {
  SessionLog other_log;
  auto other = this->open(other_log.callback());
  ASSERT_TRUE(other);
  const std::string node = this->path("controller");
  ASSERT_TRUE(other->create(node, "1", CreateMode::kEphemeral));
  ASSERT_TRUE(other->create(this->path("kept"), "", CreateMode::kPersistent));
  ASSERT_TRUE(this->store_->get(node, this->events_.watcher()));
  ASSERT_TRUE(other->expire_session_for_test());
  EXPECT_TRUE(other_log.wait_for(SessionState::kExpired));
  EXPECT_EQ(other->state(), SessionState::kExpired);
  ASSERT_TRUE(this->events_.wait_for(1));
  EXPECT_EQ(this->events_.events()[0].type, WatchEventType::kDeleted);
  EXPECT_FALSE(this->store_->exists(node)->has_value());
  EXPECT_TRUE(this->store_->exists(this->path("kept"))->has_value());
  EXPECT_EQ(other->get(this->path("kept")).error(), errc::session_expired);
  EXPECT_EQ(other->create(this->path("late"), "", CreateMode::kPersistent).error(),
            errc::session_expired);
  // The owner's way out: a new session.
  auto fresh = this->open();
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->create(node, "2", CreateMode::kEphemeral));
}

TYPED_TEST_P(CoordStoreContract, DataWatchFiresOnceOnChange) {
  auto& store = *this->store_;
  auto writer = this->open();
  ASSERT_TRUE(writer);
  const std::string node = this->path("state");
  ASSERT_TRUE(store.create(node, "0", CreateMode::kPersistent));
  ASSERT_TRUE(store.get(node, this->events_.watcher()));
  ASSERT_TRUE(writer->set(node, "1"));
  ASSERT_TRUE(this->events_.wait_for(1));
  EXPECT_EQ(this->events_.events()[0].type, WatchEventType::kDataChanged);
  EXPECT_EQ(this->events_.events()[0].path, node);
  ASSERT_TRUE(writer->set(node, "2"));  // nobody re-armed: no event
  // Watch events of one session arrive in order, so once a later event is in, any event the
  // second set could have caused would be in too.
  EventLog sentinel;
  ASSERT_TRUE(store.exists(this->path("sentinel"), sentinel.watcher()));
  ASSERT_TRUE(writer->create(this->path("sentinel"), "", CreateMode::kPersistent));
  ASSERT_TRUE(sentinel.wait_for(1));
  EXPECT_EQ(sentinel.events()[0].type, WatchEventType::kCreated);
  EXPECT_EQ(this->events_.size(), 1u);
}

TYPED_TEST_P(CoordStoreContract, ExistsWatchFiresOnCreateChangeAndDelete) {
  auto& store = *this->store_;
  auto writer = this->open();
  ASSERT_TRUE(writer);
  const std::string node = this->path("later");
  ASSERT_FALSE(store.exists(node, this->events_.watcher())->has_value());
  ASSERT_TRUE(writer->create(node, "", CreateMode::kPersistent));
  ASSERT_TRUE(this->events_.wait_for(1));
  ASSERT_TRUE(store.exists(node, this->events_.watcher())->has_value());
  ASSERT_TRUE(writer->set(node, "x"));
  ASSERT_TRUE(this->events_.wait_for(2));
  ASSERT_TRUE(store.get(node, this->events_.watcher()));
  ASSERT_TRUE(writer->remove(node));
  ASSERT_TRUE(this->events_.wait_for(3));
  const auto events = this->events_.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, WatchEventType::kCreated);
  EXPECT_EQ(events[1].type, WatchEventType::kDataChanged);
  EXPECT_EQ(events[2].type, WatchEventType::kDeleted);
  for (const auto& event : events) {
    EXPECT_EQ(event.path, node);
  }
}

TYPED_TEST_P(CoordStoreContract, ChildrenWatchFiresOnChildChangesAndOwnDelete) {
  auto& store = *this->store_;
  auto writer = this->open();
  ASSERT_TRUE(writer);
  const std::string dir = this->path("ids");
  ASSERT_TRUE(store.create(dir, "", CreateMode::kPersistent));
  ASSERT_TRUE(store.children(dir, this->events_.watcher()));
  ASSERT_TRUE(writer->create(dir + "/1", "", CreateMode::kEphemeral));
  ASSERT_TRUE(this->events_.wait_for(1));
  auto kids = store.children(dir, this->events_.watcher());
  ASSERT_TRUE(kids);
  EXPECT_EQ(*kids, std::vector<std::string>{"1"});
  ASSERT_TRUE(writer->set(dir + "/1", "data"));  // data of a child is not a children change
  ASSERT_TRUE(writer->remove(dir + "/1"));
  ASSERT_TRUE(this->events_.wait_for(2));
  ASSERT_TRUE(store.children(dir, this->events_.watcher()));
  ASSERT_TRUE(writer->remove(dir));
  ASSERT_TRUE(this->events_.wait_for(3));
  const auto events = this->events_.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, WatchEventType::kChildrenChanged);
  EXPECT_EQ(events[0].path, dir);
  EXPECT_EQ(events[1].type, WatchEventType::kChildrenChanged);
  EXPECT_EQ(events[2].type, WatchEventType::kDeleted);
  EXPECT_EQ(events[2].path, dir);
}

TYPED_TEST_P(CoordStoreContract, ConcurrentCompareAndSetHasExactlyOneWinner) {
  auto a = this->open();
  auto b = this->open();
  ASSERT_TRUE(a && b);
  const std::string node = this->path("leader_epoch");
  ASSERT_TRUE(this->store_->create(node, "0", CreateMode::kPersistent));
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const auto version = this->store_->get(node)->stat.version;
    std::barrier sync(2);
    std::atomic<int> wins{0};
    std::atomic<int> conflicts{0};
    auto contend = [&](coord::CoordinationStore* store, const char* who) {
      sync.arrive_and_wait();
      auto r = store->set(node, who, version);
      (r ? wins : conflicts)++;
      if (!r) {
        EXPECT_EQ(r.error(), errc::bad_version);
      }
    };
    std::thread ta(contend, a.get(), "a");
    std::thread tb(contend, b.get(), "b");
    ta.join();
    tb.join();
    ASSERT_EQ(wins.load(), 1) << "round " << round;
    ASSERT_EQ(conflicts.load(), 1) << "round " << round;
    EXPECT_EQ(this->store_->get(node)->stat.version.value, version.value + 1);
  }
}

TYPED_TEST_P(CoordStoreContract, CasIncrementsFromManySessionsLoseNothing) {
  constexpr int kSessions = 3;
  constexpr int kIncrements = 15;
  const std::string node = this->path("counter");
  ASSERT_TRUE(this->store_->create(node, "0", CreateMode::kPersistent));
  std::vector<std::unique_ptr<coord::CoordinationStore>> stores;
  for (int i = 0; i < kSessions; ++i) {
    stores.push_back(this->open());
    ASSERT_TRUE(stores.back());
  }
  std::vector<std::thread> threads;
  for (auto& store : stores) {
    threads.emplace_back([&, s = store.get()] {
      for (int done = 0, attempts = 0; done < kIncrements && attempts < 10000; ++attempts) {
        auto cur = s->get(node);
        ASSERT_TRUE(cur);
        const int value = std::stoi(cur->data);
        if (s->set(node, std::to_string(value + 1), cur->stat.version)) {
          ++done;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  auto final_value = this->store_->get(node);
  ASSERT_TRUE(final_value);
  EXPECT_EQ(final_value->data, std::to_string(kSessions * kIncrements));
  EXPECT_EQ(final_value->stat.version.value, kSessions * kIncrements);
}

TYPED_TEST_P(CoordStoreContract, CallbacksMayCallBackAndCloseTheStore) {
  auto watcher_store = this->open();
  ASSERT_TRUE(watcher_store);
  const std::string node = this->path("reentrant");
  ASSERT_TRUE(this->store_->create(node, "v0", CreateMode::kPersistent));
  std::mutex mu;
  std::condition_variable cv;
  std::string reread;
  bool done = false;
  coord::CoordinationStore* raw = watcher_store.get();
  ASSERT_TRUE(raw->get(node, [&](const coord::WatchEvent& event) {
    auto data = raw->get(event.path);  // a call from the callback thread must not deadlock
    raw->close();                      // nor may closing the store from it
    std::lock_guard lock(mu);
    reread = data ? data->data : data.error().message();
    done = true;
    cv.notify_all();
  }));
  ASSERT_TRUE(this->store_->set(node, "v1"));
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, kEventTimeout, [&] { return done; }));
  EXPECT_EQ(reread, "v1");
  EXPECT_EQ(raw->state(), SessionState::kClosed);
}

TYPED_TEST_P(CoordStoreContract, StoreMayBeDestroyedFromItsOwnSessionCallback) {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_ptr<coord::CoordinationStore> store;
  bool destroyed = false;
  {
    std::lock_guard lock(mu);  // the callback must not see `store` before it is assigned
    store = this->open([&](SessionState state) {
      if (state != SessionState::kExpired) {
        return;
      }
      std::lock_guard inner(mu);
      store.reset();  // the owner's usual reaction: drop the dead session, build a new one
      destroyed = true;
      cv.notify_all();
    });
  }
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->create(this->path("eph"), "", CreateMode::kEphemeral));
  ASSERT_TRUE(store->expire_session_for_test());
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, kEventTimeout, [&] { return destroyed; }));
  EXPECT_EQ(store, nullptr);
  EXPECT_FALSE(this->store_->exists(this->path("eph"))->has_value());
}

TYPED_TEST_P(CoordStoreContract, MultiAppliesAllOpsOrNone) {
  auto& store = *this->store_;
  using coord::Op;
  ASSERT_TRUE(store.create(this->path("topic"), "v0", CreateMode::kPersistent));
  auto done =
      store.multi({Op::create(this->path("parts"), "", CreateMode::kPersistent),
                   Op::create(this->path("parts/p-"), "x", CreateMode::kPersistentSequential),
                   Op::set(this->path("topic"), "v1", NodeVersion(0)),
                   Op::check(this->path("topic"), NodeVersion(1))});
  ASSERT_TRUE(done) << done.error().message();
  ASSERT_EQ(done->size(), 4u);
  EXPECT_EQ((*done)[1], this->path("parts/p-0000000000"));
  EXPECT_EQ(store.get(this->path("topic"))->data, "v1");
  EXPECT_EQ(store.get((*done)[1])->data, "x");

  std::size_t failed = 99;
  auto rejected = store.multi({Op::create(this->path("never"), "", CreateMode::kPersistent),
                               Op::remove(this->path("parts")),  // not empty
                               Op::set(this->path("topic"), "v2")},
                              &failed);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error(), errc::not_empty);
  EXPECT_EQ(failed, 1u);
  EXPECT_FALSE(store.exists(this->path("never"))->has_value());
  EXPECT_EQ(store.get(this->path("topic"))->data, "v1");
  EXPECT_TRUE(store.multi({})->empty());
}

TYPED_TEST_P(CoordStoreContract, MultiWithEpochCheckFencesAStaleController) {
  using coord::Op;
  auto old_controller = this->open();
  auto new_controller = this->open();
  ASSERT_TRUE(old_controller && new_controller);
  const std::string epoch = this->path("controller_epoch");
  const std::string state = this->path("state");
  ASSERT_TRUE(this->store_->create(epoch, "1", CreateMode::kPersistent));
  ASSERT_TRUE(this->store_->create(state, "leader=1", CreateMode::kPersistent));
  const auto seen = old_controller->get(epoch)->stat.version;
  ASSERT_TRUE(old_controller->multi({Op::check(epoch, seen), Op::set(state, "leader=2")}));
  ASSERT_TRUE(new_controller->set(epoch, "2", seen));  // a new controller took over
  ASSERT_TRUE(this->store_->get(state, this->events_.watcher()));
  std::size_t failed = 99;
  auto fenced =
      old_controller->multi({Op::check(epoch, seen), Op::set(state, "leader=3")}, &failed);
  ASSERT_FALSE(fenced);
  EXPECT_EQ(fenced.error(), errc::bad_version);
  EXPECT_EQ(failed, 0u);
  EXPECT_EQ(this->store_->get(state)->data, "leader=2");
  // The rejected write fired no watch (events arrive in order: the sentinel's comes after any
  // the rejected write could have caused); an accepted one does.
  EventLog sentinel;
  ASSERT_TRUE(this->store_->exists(this->path("sentinel"), sentinel.watcher()));
  ASSERT_TRUE(new_controller->create(this->path("sentinel"), "", CreateMode::kPersistent));
  ASSERT_TRUE(sentinel.wait_for(1));
  EXPECT_EQ(this->events_.size(), 0u);
  ASSERT_TRUE(new_controller->multi(
      {Op::check(epoch, NodeVersion(seen.value + 1)), Op::set(state, "leader=4")}));
  ASSERT_TRUE(this->events_.wait_for(1));
  EXPECT_EQ(this->events_.events()[0].type, WatchEventType::kDataChanged);
  EXPECT_EQ(this->store_->get(state)->data, "leader=4");
}

REGISTER_TYPED_TEST_SUITE_P(
    CoordStoreContract, SessionStartsConnectedWithAnId, CreateGetSetKeepBytesAndVersions,
    LargeNodesRoundTrip, CreateErrors, CompareAndSetChecksVersions, DeleteOfNonEmptyNodeFails,
    ChildrenAreSortedNamesAndStatCountsThem, SequentialNodesGetIncreasingSuffixes,
    EnsurePathCreatesAncestorsAndIsIdempotent, EphemeralsVanishWhenTheirSessionCloses,
    SessionExpiryDeletesEphemeralsAndIsReported, DataWatchFiresOnceOnChange,
    ExistsWatchFiresOnCreateChangeAndDelete, ChildrenWatchFiresOnChildChangesAndOwnDelete,
    ConcurrentCompareAndSetHasExactlyOneWinner, CasIncrementsFromManySessionsLoseNothing,
    CallbacksMayCallBackAndCloseTheStore, StoreMayBeDestroyedFromItsOwnSessionCallback,
    MultiAppliesAllOpsOrNone, MultiWithEpochCheckFencesAStaleController);

}  // namespace meridian::test
