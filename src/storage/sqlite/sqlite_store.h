#pragma once

#include "storage/sql/open_guard.h"

#include <memory>
#include <string>

#include "core/result.h"
#include "storage/store.h"

namespace klozeo::storage::sqlite {

struct Options {
  std::string path;            ///< database file
  int pool_size = 8;           ///< connections kept open
  int busy_timeout_ms = 5000;  ///< how long a writer waits for the lock
};

/// Opens the SQLite database, applying pending migrations. Errors: kUnavailable when the file
/// cannot be opened, kInternal when a migration fails.
core::Result<std::unique_ptr<Database>> OpenDatabase(const Options& options);

}  // namespace klozeo::storage::sqlite
