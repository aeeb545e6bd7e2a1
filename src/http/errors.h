#pragma once

#include <string_view>

#include "core/error.h"
#include "http/message.h"

namespace klozeo::http {

/// The single mapping from an error code to its HTTP status.
int StatusFor(core::ErrorCode code);

/// `{"error": title, "message": message, "code": code}` with the right status.
/// Only `message` reaches the client, never `detail`; kInternal and kUnavailable answer a fixed
/// message (the caller logs the error with Error::ForLog).
Response ErrorResponse(const core::Error& error);

/// The same body for errors raised by the transport itself (413, 431, 400 on bad HTTP).
Response TransportError(int status, std::string_view code, std::string_view message);

}  // namespace klozeo::http
