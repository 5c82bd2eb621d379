// A check for fuzz targets: a broken invariant must crash so that libFuzzer (or the corpus
// replay under ctest) reports it, even in builds without assertions.
//
//   FUZZ_CHECK(view.header_length <= view.total_length);
#ifndef PATHPAIR_TESTS_FUZZ_FUZZ_CHECK_H_
#define PATHPAIR_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                 \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (false)

#endif  // PATHPAIR_TESTS_FUZZ_FUZZ_CHECK_H_
