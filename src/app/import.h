#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "app/wiring.h"
#include "core/result.h"

namespace klozeo::app {

/// What `klozeo import` is asked to do.
struct ImportOptions {
  std::string account;     ///< account name
  std::string path;        ///< FILE.csv, FILE.json (an array of leads) or FILE.jsonl
  bool dedup = false;      ///< each lead through the POST /leads rules (merge or create)
  bool dry_run = false;    ///< validate only, write nothing
  int batch_size = 10000;  ///< leads per write transaction without dedup
};

/// Counts of an import. `failed_path` names the side file of failed rows (empty when none).
struct ImportReport {
  int64_t rows = 0;
  int64_t created = 0;
  int64_t merged = 0;
  int64_t failed = 0;
  std::string failed_path;
};

/// Streams the file into the account: CSV records by header name (the export's own columns,
/// `attr:<name>` included), JSON arrays element by element, JSONL line by line, so memory stays
/// flat whatever the file's size. Rows that fail are written with their reason to
/// `<path>.failed.csv` (CSV input: an `error` column, then the row as read) or
/// `<path>.failed.jsonl` (`{"row", "error", "lead"}` per line). `progress` is called after each
/// chunk. Errors: NotFound for an unknown account; BadRequest for an unreadable file, an
/// unknown extension or malformed CSV/JSON syntax (rows before it stay imported).
core::Result<ImportReport> Import(Services& services, const ImportOptions& options,
                                  const std::function<void(const ImportReport&)>& progress = {});

/// `klozeo import`: runs Import with a progress line on a terminal (stderr) and prints the
/// counts to stdout. Exit code 0 when the whole file was read (failed rows are counted and
/// written to the side file), 1 on a fatal error, 2 for bad arguments or an unknown account.
int RunImportCommand(Services& services, const ImportOptions& options);

}  // namespace klozeo::app
