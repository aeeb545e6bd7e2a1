#include "core/ids.h"

#include <openssl/rand.h>

#include <pthread.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>

namespace klozeo::core {
namespace {

void RandomBytes(unsigned char* out, int n) {
  if (RAND_bytes(out, n) != 1) {
    // RAND_bytes only fails when the OS entropy source is broken; nothing sane is left to do.
    std::abort();
  }
}

// Bumped in a forked child, so it never hands out the bytes its parent buffered.
std::atomic<uint64_t> fork_generation{0};
[[maybe_unused]] const int kAtFork = pthread_atfork(nullptr, nullptr, [] { ++fork_generation; });

/// Random bytes for ids (not secrets: keys and secrets take RandomBytes directly) from a
/// per-thread buffer that RAND_bytes refills 512 bytes at a time: one call per id (a bulk
/// create makes three ids per lead) cost more than the rest of the id.
void BufferedRandomBytes(unsigned char* out, size_t n) {
  struct Buffer {
    std::array<unsigned char, 512> bytes{};
    size_t used = 512;
    uint64_t generation = 0;
  };
  thread_local Buffer buf;
  const uint64_t generation = fork_generation.load(std::memory_order_relaxed);
  if (buf.generation != generation) {
    buf.used = buf.bytes.size();
    buf.generation = generation;
  }
  if (buf.bytes.size() - buf.used < n) {
    RandomBytes(buf.bytes.data(), static_cast<int>(buf.bytes.size()));
    buf.used = 0;
  }
  std::memcpy(out, buf.bytes.data() + buf.used, n);
  buf.used += n;
}

}  // namespace

std::string NewUuidV7() {
  // 48-bit millisecond timestamp, then a 12-bit sequence that keeps ids issued in the same
  // millisecond ordered, then 62 random bits.
  static std::mutex mu;
  static uint64_t last_ms = 0;
  static uint16_t seq = 0;
  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  uint16_t s;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (ms <= last_ms) {
      ms = last_ms;
      if (++seq > 0x0FFF) {
        seq = 0;
        ms = ++last_ms;
      }
    } else {
      last_ms = ms;
      unsigned char r[2];
      BufferedRandomBytes(r, 2);
      seq = static_cast<uint16_t>(((r[0] << 8) | r[1]) & 0x03FF);  // leave room to count up
    }
    s = seq;
  }
  std::array<unsigned char, 16> b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  b[6] = static_cast<unsigned char>(0x70 | ((s >> 8) & 0x0F));
  b[7] = static_cast<unsigned char>(s & 0xFF);
  BufferedRandomBytes(b.data() + 8, 8);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0F]);
  }
  return out;
}

bool IsUuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::string NewLeadId() { return "cl_" + NewUuidV7(); }
std::string NewNoteId() { return "note_" + NewUuidV7(); }

bool HasIdShape(std::string_view id, std::string_view prefix) {
  return id.size() == prefix.size() + 36 && id.substr(0, prefix.size()) == prefix &&
         IsUuid(id.substr(prefix.size()));
}

}  // namespace klozeo::core
