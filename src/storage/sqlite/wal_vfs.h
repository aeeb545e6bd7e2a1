#pragma once

namespace klozeo::storage::sqlite {

/// The name of a VFS over SQLite's default one (registered on first call, thread-safe) whose
/// write-ahead logs gather a transaction's frame writes into large writes. SQLite writes each
/// frame as two pwrite calls (its 24-byte header, then the page), each straddling two pages of
/// the kernel's cache; here they are written out in one call when a write does not follow on,
/// the buffer is full, a commit frame has been written, or before any other access to the file
/// (read, sync, truncate, size, close). A commit's frames are therefore all in the file before
/// SQLite publishes the commit in the WAL index, as without the buffer (docs/ARCHITECTURE.md).
const char* WalBufferVfs();

}  // namespace klozeo::storage::sqlite
