#include "export/json_writer.h"

#include <nlohmann/json.hpp>

namespace klozeo::exporter {

JsonArrayWriter::JsonArrayWriter() : buffer_("[") {}

void JsonArrayWriter::WriteElement(const nlohmann::json& element) {
  if (!first_) buffer_ += ',';
  first_ = false;
  buffer_ += element.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void JsonArrayWriter::Finish() { buffer_ += "]\n"; }

std::string JsonArrayWriter::TakeOutput() {
  std::string out;
  out.swap(buffer_);
  return out;
}

}  // namespace klozeo::exporter
