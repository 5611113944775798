#pragma once
// LatencyHistogram: HdrHistogram-style log buckets (32 linear sub-buckets per power of two,
// so any reported percentile is within ~3 % of the true value) over microseconds. Fixed size,
// no allocation per sample. Worked example: 1,000 µs has its top bit at 2^9 = 512, so the
// 32 sub-buckets between 512 and 1023 are 16 µs wide and 1,000 falls in [992, 1007]; a
// percentile reports the middle of its bucket (999.5).

#include <array>
#include <bit>
#include <cstdint>

namespace meridian::cli {

class LatencyHistogram {
 public:
  void record(int64_t micros) {
    const uint64_t v = micros < 0 ? 0 : static_cast<uint64_t>(micros);
    ++counts_[index(v)];
    ++total_;
    max_ = v > max_ ? v : max_;
  }
  uint64_t count() const noexcept { return total_; }
  uint64_t max() const noexcept { return max_; }
  // The value at quantile q in [0, 1], in microseconds (0 when empty).
  double percentile(double q) const {
    if (total_ == 0) {
      return 0;
    }
    const auto rank = static_cast<uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        return midpoint(i);
      }
    }
    return static_cast<double>(max_);
  }

 private:
  static constexpr int kSubBits = 5;                 // 32 sub-buckets per power of two
  static constexpr uint64_t kLinear = 2u << kSubBits;  // values below 64 are exact
  static constexpr size_t kBuckets = kLinear + (64 - kSubBits - 1) * (1u << kSubBits);

  static size_t index(uint64_t v) {
    if (v < kLinear) {
      return static_cast<size_t>(v);
    }
    const int top = 63 - std::countl_zero(v);  // >= kSubBits + 1
    const int shift = top - kSubBits;
    const uint64_t sub = (v >> shift) - (1u << kSubBits);  // [0, 32)
    return kLinear + static_cast<size_t>(top - kSubBits - 1) * (1u << kSubBits) +
           static_cast<size_t>(sub);
  }
  static double midpoint(size_t i) {
    if (i < kLinear) {
      return static_cast<double>(i);
    }
    const size_t rel = i - kLinear;
    const int shift = static_cast<int>(rel >> kSubBits) + 1;
    const uint64_t sub = (rel & ((1u << kSubBits) - 1)) + (1u << kSubBits);
    const double low = static_cast<double>(sub << shift);
    return low + static_cast<double>((uint64_t{1} << shift) - 1) / 2;
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

}  // namespace meridian::cli
