#include "cluster/record/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "cluster/record/errc.h"
#include "common/byte_order.h"

namespace meridian::record {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // +16: gzip wrapper (RFC 1952), not zlib

std::error_code failed_to_decompress() { return make_error_code(errc::decompression_failed); }
std::error_code failed_to_compress() { return make_error_code(errc::compression_failed); }

// Output buffer for streaming decoders that never grows past `max + 1` bytes: a decoder that
// fills the extra byte has proved the payload inflates past the limit (zip-bomb defence)
// without us ever allocating more than the limit.
class BoundedOutput {
 public:
  // `expected` is a guess at the output size; the buffer doubles from there as needed.
  BoundedOutput(size_t max, size_t expected) : cap_(max == SIZE_MAX ? max : max + 1) {
    buf_.resize(std::min(cap_, std::max<size_t>(expected, 4096)));
  }
  // Free space to write into; empty once the cap is reached.
  std::span<uint8_t> space() {
    if (used_ == buf_.size() && buf_.size() < cap_) {
      buf_.resize(std::min(cap_, buf_.size() * 2));
    }
    return std::span<uint8_t>(buf_).subspan(used_);
  }
  void commit(size_t n) noexcept { used_ += n; }
  bool over_limit() const noexcept { return used_ == cap_ && cap_ != SIZE_MAX; }
  std::vector<uint8_t> take() {
    buf_.resize(used_);
    return std::move(buf_);
  }

 private:
  size_t cap_;
  size_t used_ = 0;
  std::vector<uint8_t> buf_;
};

// Decoder contexts are costly to create (zstd's holds ~100 KiB before its window) and a consumer
// decodes batch after batch on one thread, so each thread keeps one per codec and resets it
// before every use. A failed decode leaves garbage state behind; the reset clears it.
struct InflateContext {
  z_stream zs{};
  bool ready = inflateInit2(&zs, kGzipWindowBits) == Z_OK;
  InflateContext() = default;
  InflateContext(const InflateContext&) = delete;
  InflateContext& operator=(const InflateContext&) = delete;
  ~InflateContext() {
    if (ready) {
      inflateEnd(&zs);
    }
  }
};

z_stream* inflate_context() {
  thread_local InflateContext ctx;
  if (!ctx.ready || inflateReset(&ctx.zs) != Z_OK) {
    return nullptr;
  }
  return &ctx.zs;
}

LZ4F_dctx* lz4_context() {
  struct Holder {
    LZ4F_dctx* ctx = nullptr;
    Holder() {
      if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
        ctx = nullptr;
      }
    }
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;
    ~Holder() { LZ4F_freeDecompressionContext(ctx); }
  };
  thread_local Holder holder;
  if (holder.ctx != nullptr) {
    LZ4F_resetDecompressionContext(holder.ctx);
  }
  return holder.ctx;
}

ZSTD_DCtx* zstd_context() {
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(),
                                                                      ZSTD_freeDCtx);
  if (ctx) {
    ZSTD_DCtx_reset(ctx.get(), ZSTD_reset_session_only);
  }
  return ctx.get();
}

// --- gzip ----------------------------------------------------------------------------------

Result<std::vector<uint8_t>> gzip_compress(std::span<const uint8_t> in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return failed_to_compress();
  }
  std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    return failed_to_compress();
  }
  out.resize(produced);
  return out;
}

Result<std::vector<uint8_t>> gzip_decompress(std::span<const uint8_t> in, size_t max_output) {
  z_stream* zsp = inflate_context();
  if (zsp == nullptr) {
    return failed_to_decompress();
  }
  z_stream& zs = *zsp;
  BoundedOutput out(max_output, in.size() * 4);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    auto space = out.space();
    if (space.empty()) {
      return failed_to_decompress();  // past max_output
    }
    const size_t chunk = std::min<size_t>(space.size(), 1u << 30);
    zs.next_out = space.data();
    zs.avail_out = static_cast<uInt>(chunk);
    int rc = inflate(&zs, Z_NO_FLUSH);
    out.commit(chunk - zs.avail_out);
    if (out.over_limit()) {
      return failed_to_decompress();
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) {
        break;
      }
      // Concatenated gzip members are one stream (RFC 1952 §2.2; Java's GZIPInputStream).
      if (inflateReset(&zs) != Z_OK) {
        return failed_to_decompress();
      }
      continue;
    }
    if (rc != Z_OK) {
      return failed_to_decompress();  // corrupt data, or Z_BUF_ERROR: input ended mid-stream
    }
  }
  return out.take();
}

// --- snappy (xerial framing) ---------------------------------------------------------------

constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderSize = 16;  // magic, version int32, compatible-version int32
constexpr int32_t kXerialVersion = 1;
constexpr size_t kXerialBlockSize = 32 * 1024;  // snappy-java's default block size

Result<std::vector<uint8_t>> snappy_compress(std::span<const uint8_t> in) {
  // At least one block, so even empty input is longer than the header: kafka-python only
  // recognises xerial framing when the payload is longer than 16 bytes.
  const size_t blocks = std::max<size_t>(1, (in.size() + kXerialBlockSize - 1) / kXerialBlockSize);
  std::vector<uint8_t> out(kXerialHeaderSize +
                           blocks * (4 + snappy::MaxCompressedLength(kXerialBlockSize)));
  std::memcpy(out.data(), kXerialMagic, sizeof kXerialMagic);
  store_be<int32_t>(out.data() + 8, kXerialVersion);
  store_be<int32_t>(out.data() + 12, kXerialVersion);
  size_t pos = kXerialHeaderSize;
  for (size_t off = 0; off == 0 || off < in.size(); off += kXerialBlockSize) {
    const size_t n = std::min(kXerialBlockSize, in.size() - off);
    size_t written = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(in.data() + off), n,
                        reinterpret_cast<char*>(out.data() + pos + 4), &written);
    store_be<int32_t>(out.data() + pos, static_cast<int32_t>(written));
    pos += 4 + written;
  }
  out.resize(pos);
  return out;
}

// Appends one raw snappy block to `out`; false on a corrupt block or one past the limit.
bool snappy_append_raw(std::span<const uint8_t> block, std::vector<uint8_t>& out,
                       size_t max_output) {
  size_t n = 0;
  auto src = reinterpret_cast<const char*>(block.data());
  if (!snappy::GetUncompressedLength(src, block.size(), &n) || n > max_output - out.size()) {
    return false;
  }
  const size_t at = out.size();
  out.resize(at + n);
  return snappy::RawUncompress(src, block.size(), reinterpret_cast<char*>(out.data() + at));
}

Result<std::vector<uint8_t>> snappy_decompress(std::span<const uint8_t> in, size_t max_output) {
  std::vector<uint8_t> out;
  const bool xerial =
      in.size() >= kXerialHeaderSize && std::memcmp(in.data(), kXerialMagic, 8) == 0;
  if (!xerial) {
    // Raw snappy, as very old clients wrote and the Java client still accepts.
    if (!snappy_append_raw(in, out, max_output)) {
      return failed_to_decompress();
    }
    return out;
  }
  std::span<const uint8_t> rest = in.subspan(kXerialHeaderSize);
  while (!rest.empty()) {
    if (rest.size() < 4) {
      return failed_to_decompress();
    }
    const int32_t len = load_be<int32_t>(rest.data());
    rest = rest.subspan(4);
    if (len < 0 || static_cast<size_t>(len) > rest.size()) {
      return failed_to_decompress();
    }
    if (!snappy_append_raw(rest.first(static_cast<size_t>(len)), out, max_output)) {
      return failed_to_decompress();
    }
    rest = rest.subspan(static_cast<size_t>(len));
  }
  return out;
}

// --- lz4 (frame format) --------------------------------------------------------------------

Result<std::vector<uint8_t>> lz4_compress(std::span<const uint8_t> in) {
  // What Kafka's KafkaLZ4BlockOutputStream writes: 64 KiB independent blocks, no content size,
  // no checksums beyond the header's — the most widely readable frame.
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  std::vector<uint8_t> out(LZ4F_compressFrameBound(in.size(), &prefs));
  size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) {
    return failed_to_compress();
  }
  out.resize(n);
  return out;
}

Result<std::vector<uint8_t>> lz4_decompress(std::span<const uint8_t> in, size_t max_output) {
  LZ4F_dctx* ctx = lz4_context();
  if (ctx == nullptr) {
    return failed_to_decompress();
  }
  BoundedOutput out(max_output, in.size() * 4);
  size_t pos = 0;
  size_t hint = 1;  // 0 once a frame is complete
  while (pos < in.size() || hint != 0) {
    auto space = out.space();
    if (space.empty()) {
      return failed_to_decompress();
    }
    size_t dst_size = space.size();
    size_t src_size = in.size() - pos;
    hint = LZ4F_decompress(ctx, space.data(), &dst_size, in.data() + pos, &src_size, nullptr);
    if (LZ4F_isError(hint)) {
      return failed_to_decompress();
    }
    pos += src_size;
    out.commit(dst_size);
    if (out.over_limit()) {
      return failed_to_decompress();
    }
    if (hint != 0 && src_size == 0 && dst_size == 0) {
      return failed_to_decompress();  // no progress: the input ended inside a frame
    }
  }
  return out.take();
}

// --- zstd ----------------------------------------------------------------------------------

constexpr int kZstdLevel = 3;  // Kafka's default (compression.zstd.level)

Result<std::vector<uint8_t>> zstd_compress(std::span<const uint8_t> in) {
  std::vector<uint8_t> out(ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), kZstdLevel);
  if (ZSTD_isError(n)) {
    return failed_to_compress();
  }
  out.resize(n);
  return out;
}

// Streaming, so frames without a content size (Kafka's zstd-jni writes those) decode too.
Result<std::vector<uint8_t>> zstd_decompress(std::span<const uint8_t> in, size_t max_output) {
  ZSTD_DCtx* ctx = zstd_context();
  if (ctx == nullptr) {
    return failed_to_decompress();
  }
  // Frames that declare their size (ours do) get an exact buffer; others grow from a guess.
  const unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
  const bool known = declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR;
  BoundedOutput out(max_output, known && declared <= max_output ? declared : in.size() * 4);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  size_t hint = 1;  // 0 once a frame is complete
  while (src.pos < src.size || hint != 0) {
    auto space = out.space();
    if (space.empty()) {
      return failed_to_decompress();
    }
    ZSTD_outBuffer dst{space.data(), space.size(), 0};
    const size_t before = src.pos;
    hint = ZSTD_decompressStream(ctx, &dst, &src);
    if (ZSTD_isError(hint)) {
      return failed_to_decompress();
    }
    out.commit(dst.pos);
    if (out.over_limit()) {
      return failed_to_decompress();
    }
    if (hint != 0 && src.pos == before && dst.pos < dst.size) {
      return failed_to_decompress();  // no progress with room to spare: truncated frame
    }
  }
  return out.take();
}

}  // namespace

Result<std::vector<uint8_t>> compress(Compression codec, std::span<const uint8_t> input) {
  switch (codec) {
    case Compression::kNone:
      return std::vector<uint8_t>(input.begin(), input.end());
    case Compression::kGzip:
      return gzip_compress(input);
    case Compression::kSnappy:
      return snappy_compress(input);
    case Compression::kLz4:
      return lz4_compress(input);
    case Compression::kZstd:
      return zstd_compress(input);
  }
  return make_error_code(errc::unsupported_codec);
}

Result<std::vector<uint8_t>> decompress(Compression codec, std::span<const uint8_t> input,
                                        size_t max_output) {
  switch (codec) {
    case Compression::kNone:
      if (input.size() > max_output) {
        return failed_to_decompress();
      }
      return std::vector<uint8_t>(input.begin(), input.end());
    case Compression::kGzip:
      return gzip_decompress(input, max_output);
    case Compression::kSnappy:
      return snappy_decompress(input, max_output);
    case Compression::kLz4:
      return lz4_decompress(input, max_output);
    case Compression::kZstd:
      return zstd_decompress(input, max_output);
  }
  return make_error_code(errc::unsupported_codec);
}

}  // namespace meridian::record
