#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace klozeo::exporter {

/// Streams a JSON array of objects: "[" element "," element ... "]". Like CsvWriter, output
/// collects in a buffer that the caller drains with TakeOutput() as often as it likes.
class JsonArrayWriter {
 public:
  /// Starts the array ("[").
  JsonArrayWriter();

  /// Appends one element, compact. Strings that are not valid UTF-8 get U+FFFD for the bad
  /// bytes instead of throwing.
  void WriteElement(const nlohmann::json& element);
  /// Closes the array ("]\n"). Call once, after the last element.
  void Finish();

  /// Bytes written and not yet taken.
  size_t buffered_size() const { return buffer_.size(); }
  /// Returns the bytes written since the last call and empties the buffer.
  std::string TakeOutput();

 private:
  std::string buffer_;
  bool first_ = true;
};

}  // namespace klozeo::exporter
