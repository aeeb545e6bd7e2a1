#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace klozeo::core {

/// Source of wall-clock time. Injected everywhere time matters so tests never sleep.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Unix time in milliseconds.
  virtual int64_t NowMillis() const = 0;
  /// Unix time in whole seconds.
  int64_t NowSeconds() const { return NowMillis() / 1000; }
};

/// Unix milliseconds of the machine's wall clock: delivery due times and leases, which every
/// process sharing the database must agree on (never a test's ManualClock).
inline int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The real clock.
class SystemClock final : public Clock {
 public:
  int64_t NowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

/// A clock that only moves when told to (tests).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_millis) : now_(start_millis) {}
  int64_t NowMillis() const override { return now_.load(); }
  void AdvanceMillis(int64_t delta) { now_ += delta; }
  void SetMillis(int64_t value) { now_ = value; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace klozeo::core
