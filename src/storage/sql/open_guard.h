#pragma once

// A backend's OpenDatabase is for the wiring (app/) and the store tests: the backend libraries
// define KLOZEO_STORAGE_OPEN for their direct dependents only (app links them privately), so
// service/, http/ and webhooks/ cannot name a concrete database.
#if !defined(KLOZEO_STORAGE_OPEN) && !defined(KLOZEO_STORAGE_BACKEND)
#error "only the wiring opens a concrete database: include storage/store.h"
#endif
