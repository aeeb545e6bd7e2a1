#pragma once

#include "storage/sql/open_guard.h"

#include <memory>
#include <string>

#include "core/result.h"
#include "storage/store.h"

namespace klozeo::storage::postgres {

struct Options {
  std::string conninfo;           ///< libpq connection string or postgres:// URL
  int pool_size = 8;              ///< connections kept open
  int acquire_timeout_ms = 5000;  ///< how long Begin waits for a free connection
};

/// Connects to PostgreSQL and applies pending migrations (serialised across processes by an
/// advisory lock). Errors: kUnavailable when the server cannot be reached, kInternal when a
/// migration fails.
core::Result<std::unique_ptr<Database>> OpenDatabase(const Options& options);

}  // namespace klozeo::storage::postgres
