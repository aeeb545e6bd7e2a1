// libFuzzer target for the keyset cursor codec: decoding arbitrary bytes must return a cursor or
// a BadRequest, never crash. Because a cursor is signed, random bytes almost never get past the
// signature check, so the input is also signed as a payload (as if the server had made it): that
// drives the payload parser. Whatever decodes must survive an encode/decode round trip unchanged.
// Built by tests/fuzz/CMakeLists.txt (CTest `cursor_decoder_fuzz`, 15 s; `make fuzz`: longer).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "query/cursor.h"
#include "query/sort.h"

namespace {

using namespace klozeo;
using namespace klozeo::query;

constexpr std::string_view kSecret = "fuzz-secret";

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckDecoded(const core::Result<Cursor>& decoded, const Sort& sort) {
  if (!decoded.ok()) {
    Check(decoded.error().code == core::ErrorCode::kBadRequest);
    Check(!decoded.error().message.empty());
    return;
  }
  Check(decoded->sort_field == FieldName(sort.field));
  Check(decoded->direction == sort.direction);
  auto again = DecodeCursor(EncodeCursor(*decoded, kSecret), kSecret, sort);
  Check(again.ok());
  Check(again->last_id == decoded->last_id);
  Check(again->last_value == decoded->last_value);
  // Another secret never verifies.
  Check(!DecodeCursor(EncodeCursor(*decoded, kSecret), "other", sort).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const Sort sorts[] = {Sort{}, Sort{FieldRef{FieldKind::kText, "name"}, SortDirection::kDesc}};
  for (const Sort& sort : sorts) {
    // The bytes as a client would send them.
    CheckDecoded(DecodeCursor(input, kSecret, sort), sort);
    // The bytes as a payload the server signed.
    std::string body = core::Base64UrlEncode(std::string(input));
    std::string signed_text = body + "." + core::Base64UrlEncode(core::HmacSha256(kSecret, body));
    CheckDecoded(DecodeCursor(signed_text, kSecret, sort), sort);
    // Tampering with one byte of a signed cursor is always caught.
    if (body.size() > 1) {
      std::string tampered = signed_text;
      tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
      Check(!DecodeCursor(tampered, kSecret, sort).ok());
    }
  }
  return 0;
}
