// libFuzzer target for the RecordBatch v2 decoders: BatchView::parse, decode_records (CRC,
// decompression, records), RecordReader without the CRC gate, and every codec's decompress.
// Built by tests/fuzz/build_and_run.sh with clang; not part of the CMake build (clang is optional).

#include <cstddef>
#include <cstdint>
#include <span>

#include "cluster/record/batch_view.h"
#include "cluster/record/compression.h"
#include "cluster/record/record.h"

namespace {
constexpr size_t kMaxInflate = 1u << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meridian::record;
  std::span<const uint8_t> bytes(data, size);
  if (auto view = BatchView::parse(bytes)) {
    auto records = decode_records(*view, kMaxInflate);
    if (records && records->size() != static_cast<size_t>(view->records_count())) {
      __builtin_trap();  // decode succeeded with a count that disagrees with the header
    }
    // The reader skips the CRC, so the fuzzer reaches the record parser without forging CRCs.
    RecordReader reader(*view, view->records_payload());
    RecordView rv;
    for (int i = 0; i < 100000; ++i) {
      auto more = reader.next(rv);
      if (!more || !*more) {
        break;
      }
    }
  }
  // Raw codec input: the first byte picks the codec.
  if (size > 1) {
    auto codec = static_cast<Compression>(1 + data[0] % 4);
    (void)decompress(codec, bytes.subspan(1), kMaxInflate);
  }
  return 0;
}
