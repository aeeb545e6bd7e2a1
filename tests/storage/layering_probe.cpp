// Must NOT compile (CTest storage.layering_probe): a library that links only the services, as
// http/ and webhooks/ do, cannot include a storage backend or its internals.
#include "storage/postgres/postgres_store.h"
#include "storage/sqlite/connection.h"
