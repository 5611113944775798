#pragma once
// EmbeddedJournal: makes an EmbeddedEnsemble's persistent nodes survive a restart of the
// process (`meridian dev --data-dir D` keeps topics, configs and partition states in
// D/coord/journal), as ZooKeeper's transaction log + snapshot do.
//
// Format: one file of records, each `u32 length | u64 FNV-1a of the payload | payload`, payload
// = kind (1 upsert, 2 delete) | path | data | version | cversion | czxid | mzxid | last txid.
// Every committed change appends the final state of the paths it touched and fsyncs before the
// caller gets its answer. A torn or corrupt tail (SIGKILL during a write) ends the replay there.
// open() replays and then compacts: the live tree is rewritten as upserts to journal.tmp,
// fsynced, renamed over the journal (directory fsynced), so the file never holds a half state;
// the same compaction runs when the journal outgrows kCompactBytes.
// Ephemeral nodes are never written: their sessions die with the process.
//
// Threading: not thread-safe; the ensemble calls it under its mutex.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cluster/coord/coordination_store.h"
#include "common/result.h"

namespace meridian::coord::detail {

struct JournalEntry {
  std::string path;
  std::optional<std::string> data;  // nullopt: the node is gone
  NodeStat stat;
};

class EmbeddedJournal {
 public:
  static constexpr uint64_t kCompactBytes = 8u << 20;

  // Replays `dir`/journal into `apply` (in order; last txid through `last_txid`), then compacts
  // with `live` (called after the replay: every node to keep). Errors: file I/O.
  static Result<EmbeddedJournal> open(
      const std::filesystem::path& dir, const std::function<void(const JournalEntry&)>& apply,
      int64_t& last_txid, const std::function<std::vector<JournalEntry>()>& live);

  EmbeddedJournal(EmbeddedJournal&& other) noexcept;
  EmbeddedJournal& operator=(EmbeddedJournal&& other) noexcept;
  ~EmbeddedJournal();

  // Appends and fsyncs. Errors: file I/O (the change is in memory only).
  Result<void> append(const std::vector<JournalEntry>& entries, int64_t last_txid);
  bool wants_compaction() const noexcept { return size_ >= kCompactBytes; }
  // Rewrites the journal as `live` (atomic rename).
  Result<void> compact(const std::vector<JournalEntry>& live, int64_t last_txid);

 private:
  EmbeddedJournal(std::filesystem::path dir, int fd, uint64_t size)
      : dir_(std::move(dir)), fd_(fd), size_(size) {}

  std::filesystem::path dir_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace meridian::coord::detail
