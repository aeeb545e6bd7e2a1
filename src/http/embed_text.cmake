# Writes OUT, a C++ source defining `std::string_view <FUNCTION>()` that returns the bytes of IN.
# Run at build time (add_custom_command), so editing IN rebuilds only this file.
file(READ "${IN}" content)
string(FIND "${content}" ")KLOZEO_EMBED\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter")
endif()
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by embed_text.cmake: do not edit.\n#include <string_view>\n\nnamespace ${NAMESPACE} {\n\nstd::string_view ${FUNCTION}() {\n  static constexpr std::string_view kText = R\"KLOZEO_EMBED(${content})KLOZEO_EMBED\";\n  return kText;\n}\n\n}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
