#include "app/cli.h"

// The server is linked with jemalloc (src/CMakeLists.txt): it keeps freed memory for reuse and
// hands it back to the system after it has sat unused for a while, which glibc's allocator had
// to be tuned for here (its defaults cost a batch of 500 leads about 5% of its CPU).
int main(int argc, char** argv) { return klozeo::app::RunCli(argc, argv); }
