#pragma once

// The storage backends' internals (storage/sql/, rows.h, each backend's connection and schema)
// are private to the backend libraries: klozeo_storage_sql defines KLOZEO_STORAGE_BACKEND for
// the libraries that link it, and only the backends do (privately). So an include from
// service/, http/ or webhooks/ fails to build; they see storage/store.h only.
#ifndef KLOZEO_STORAGE_BACKEND
#error "storage backend internals: include storage/store.h (the wiring opens a backend)"
#endif
