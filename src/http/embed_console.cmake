# Writes OUT, a C++ source defining klozeo::http::ConsoleAssets(): every file of FILES (a
# comma-separated list, relative to SRC) as bytes and as gzip (GZIP -9 -n, so builds are
# reproducible). Files other than index.html are served under /assets/<hash>/, where <hash>
# covers every file's name and content, so a changed console gets new URLs and the old ones can
# be cached forever; index.html gets that prefix wherever it says @ASSETS@.
# Run at build time (add_custom_command): editing a file of web/ rebuilds only this source.
string(REPLACE "," ";" files "${FILES}")
set(manifest "")
foreach(f IN LISTS files)
  file(SHA256 "${SRC}/${f}" h)
  string(APPEND manifest "${f} ${h}\n")
endforeach()
string(SHA256 build_hash "${manifest}")
string(SUBSTRING "${build_hash}" 0 12 build_hash)
set(base "/assets/${build_hash}")

set(tmp "${OUT}.asset")
set(arrays "")
set(table "")
set(i 0)
foreach(f IN LISTS files)
  file(READ "${SRC}/${f}" content)
  if(f STREQUAL "index.html")
    string(REPLACE "@ASSETS@" "${base}" content "${content}")
    set(url "/index.html")
  else()
    set(url "${base}/${f}")
  endif()
  if(f MATCHES "\\.js$")
    set(type "text/javascript; charset=utf-8")
  elseif(f MATCHES "\\.css$")
    set(type "text/css; charset=utf-8")
  elseif(f MATCHES "\\.html$")
    set(type "text/html; charset=utf-8")
  elseif(f MATCHES "\\.svg$")
    set(type "image/svg+xml")
  else()
    message(FATAL_ERROR "embed_console: no content type for ${f}")
  endif()
  file(WRITE "${tmp}" "${content}")
  execute_process(COMMAND "${GZIP}" -9 -n -c "${tmp}" OUTPUT_FILE "${tmp}.gz" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "embed_console: gzip failed on ${f}")
  endif()
  file(READ "${tmp}" raw HEX)
  file(READ "${tmp}.gz" gz HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," raw "${raw}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," gz "${gz}")
  string(APPEND arrays "// ${f}\nconstexpr unsigned char kRaw${i}[] = {${raw}};\nconstexpr unsigned char kGzip${i}[] = {${gz}};\n")
  string(APPEND table "      {\"${url}\", \"${type}\", View(kRaw${i}, sizeof kRaw${i}), View(kGzip${i}, sizeof kGzip${i})},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(REMOVE "${tmp}" "${tmp}.gz")

file(WRITE "${OUT}.tmp" "// Generated from web/ by embed_console.cmake: do not edit.
#include <array>

#include \"http/console.h\"

namespace klozeo::http {
namespace {

${arrays}
std::string_view View(const unsigned char* bytes, size_t size) {
  return {reinterpret_cast<const char*>(bytes), size};
}

}  // namespace

std::span<const ConsoleAsset> ConsoleAssets() {
  static const std::array<ConsoleAsset, ${i}> kAssets{{
${table}  }};
  return kAssets;
}

}  // namespace klozeo::http
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
