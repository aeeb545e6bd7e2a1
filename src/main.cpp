#include <malloc.h>

#include "app/cli.h"

int main(int argc, char** argv) {
  // glibc's defaults give freed memory back to the system as soon as 128 KB sit free at the
  // top of a heap, and map every block over 128 KB (a batch request's body) afresh: a batch
  // of 500 leads then spent about 5% of its CPU growing heaps again and faulting their pages
  // in. Keep up to 32 MB free per heap, grow heaps 16 MB at a time, and map only blocks of
  // 4 MB and more.
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  return klozeo::app::RunCli(argc, argv);
}
