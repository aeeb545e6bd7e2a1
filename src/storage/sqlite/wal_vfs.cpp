#include "storage/sqlite/wal_vfs.h"

#include <sqlite3.h>

#include <cstring>
#include <memory>
#include <new>

namespace klozeo::storage::sqlite {
namespace {

// What the buffer holds is exactly the frames SQLite appends: a 24-byte frame header, then its
// page at the next offset. Anything else (the log's own header, a frame rewritten in place, a
// checksum rewrite after a read of the same frame) is written through after what is buffered,
// so the file sees every byte in SQLite's order. After a commit frame's page the buffer is
// written out before xWrite returns: SQLite publishes a commit in the WAL index only after its
// frames are written, so readers and checkpoints never see a frame that is not in the file,
// and a write error is reported to SQLite as its own.
constexpr int kHeaderBytes = 24;
// The unix VFS writes at most 128 KiB - 1 bytes a call (a larger write fails as "disk full").
constexpr size_t kCapacity = size_t{120} << 10;

sqlite3_vfs* base_vfs = nullptr;

struct WalFile {
  sqlite3_file base;
  sqlite3_file* real = nullptr;
  std::unique_ptr<char[]> buffer;
  size_t used = 0;
  sqlite3_int64 start = 0;        // file offset of buffer[0]
  sqlite3_int64 header_end = -1;  // just past a buffered frame header: where its page goes
  bool commit_header = false;     // that header ends a transaction
  sqlite3_int64 last_read = -1;   // offset of the last read (a rewrite reads its frame first)
};

constexpr size_t kRealOffset = (sizeof(WalFile) + 15) & ~size_t{15};

WalFile* Of(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return Of(f)->real; }

int Flush(WalFile* w) {
  if (w->used == 0) return SQLITE_OK;
  const int rc =
      w->real->pMethods->xWrite(w->real, w->buffer.get(), static_cast<int>(w->used), w->start);
  w->used = 0;
  w->header_end = -1;
  return rc;
}

int Close(sqlite3_file* f) {
  WalFile* w = Of(f);
  const int flushed = Flush(w);
  const int rc = w->real->pMethods->xClose(w->real);
  w->~WalFile();
  return rc != SQLITE_OK ? rc : flushed;
}

int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  WalFile* w = Of(f);
  w->last_read = offset;
  if (w->used > 0 && offset < w->start + static_cast<sqlite3_int64>(w->used) &&
      offset + amount > w->start) {
    if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  }
  return w->real->pMethods->xRead(w->real, out, amount, offset);
}

int Write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  WalFile* w = Of(f);
  const auto* bytes = static_cast<const char*>(data);
  const bool rewrite = offset == w->last_read;
  w->last_read = -1;
  const bool is_page = w->header_end >= 0 && offset == w->header_end;
  const bool ends_commit = is_page && w->commit_header;
  const bool is_header = amount == kHeaderBytes && !rewrite;
  const sqlite3_int64 end = w->start + static_cast<sqlite3_int64>(w->used);
  const bool buffered = (is_page || is_header) && static_cast<size_t>(amount) <= kCapacity;
  if (!buffered || (w->used > 0 && offset != end) || w->used + amount > kCapacity) {
    if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  }
  if (!buffered) return w->real->pMethods->xWrite(w->real, data, amount, offset);
  if (w->buffer == nullptr) w->buffer.reset(new (std::nothrow) char[kCapacity]);
  if (w->buffer == nullptr) return w->real->pMethods->xWrite(w->real, data, amount, offset);
  if (w->used == 0) w->start = offset;
  std::memcpy(w->buffer.get() + w->used, bytes, static_cast<size_t>(amount));
  w->used += static_cast<size_t>(amount);
  if (is_header) {
    w->header_end = offset + amount;
    // Bytes 4-7 of a frame header: the database's size in pages after a commit, 0 otherwise.
    w->commit_header = (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
    return SQLITE_OK;
  }
  w->header_end = -1;
  return ends_commit ? Flush(w) : SQLITE_OK;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = Flush(Of(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xTruncate(Real(f), size);
}

int Sync(sqlite3_file* f, int flags) {
  if (int rc = Flush(Of(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xSync(Real(f), flags);
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  if (int rc = Flush(Of(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xFileSize(Real(f), size);
}

int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  if (int rc = Flush(Of(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int remove) { return Real(f)->pMethods->xShmUnmap(Real(f), remove); }
int Fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  *out = nullptr;  // no memory map of a log: SQLite reads it
  (void)f, (void)offset, (void)amount;
  return SQLITE_OK;
}
int Unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  (void)f, (void)offset, (void)p;
  return SQLITE_OK;
}

const sqlite3_io_methods kWalMethods = {3,
                                        Close,
                                        Read,
                                        Write,
                                        Truncate,
                                        Sync,
                                        FileSize,
                                        Lock,
                                        Unlock,
                                        CheckReservedLock,
                                        FileControl,
                                        SectorSize,
                                        DeviceCharacteristics,
                                        ShmMap,
                                        ShmLock,
                                        ShmBarrier,
                                        ShmUnmap,
                                        Fetch,
                                        Unfetch};

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  (void)vfs;
  // Other files are the base VFS's own, laid at the start of the same memory.
  if ((flags & SQLITE_OPEN_WAL) == 0)
    return base_vfs->xOpen(base_vfs, name, file, flags, out_flags);
  auto* w = new (file) WalFile();
  w->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  w->real->pMethods = nullptr;
  const int rc = base_vfs->xOpen(base_vfs, name, w->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (w->real->pMethods != nullptr) w->real->pMethods->xClose(w->real);
    w->~WalFile();
    file->pMethods = nullptr;
    return rc;
  }
  w->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

}  // namespace

const char* WalBufferVfs() {
  static const char* name = [] {
    static sqlite3_vfs vfs;
    base_vfs = sqlite3_vfs_find(nullptr);
    vfs = *base_vfs;
    vfs.zName = "klozeo-wal-buffer";
    vfs.szOsFile = static_cast<int>(kRealOffset) + base_vfs->szOsFile;
    vfs.xOpen = Open;
    vfs.pNext = nullptr;
    sqlite3_vfs_register(&vfs, 0);
    return vfs.zName;
  }();
  return name;
}

}  // namespace klozeo::storage::sqlite
