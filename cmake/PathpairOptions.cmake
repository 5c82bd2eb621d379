# Compiler flags shared by every pathpair target. Applied through the interface library
# pathpair_build_options so that generated code (protobuf) can opt out of -Werror.
add_library(pathpair_build_options INTERFACE)
target_compile_options(pathpair_build_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wformat=2
  -Wimplicit-fallthrough -Wno-missing-field-initializers)
if(PATHPAIR_WERROR)
  target_compile_options(pathpair_build_options INTERFACE -Werror)
endif()

if(PATHPAIR_SANITIZE AND PATHPAIR_TSAN)
  message(FATAL_ERROR "PATHPAIR_SANITIZE (ASan+UBSan) and PATHPAIR_TSAN exclude each other")
endif()
if(PATHPAIR_SANITIZE)
  # Applied globally so every object, test and generated file is instrumented alike.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(PATHPAIR_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "PATHPAIR_FUZZ=ON needs clang (-DCMAKE_CXX_COMPILER=clang++)")
  endif()
  # Coverage for libFuzzer in every object (the code under test lives in the libraries), plus
  # ASan and UBSan; the fuzz targets add the libFuzzer runtime (tests/fuzz/CMakeLists.txt).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(PATHPAIR_TSAN)
  # ThreadSanitizer (CI runs the unit tests under it: tests/run-all.sh). Debian's Abseil and gRPC
  # are not instrumented; tests/tsan makes absl::Mutex visible to TSan (see its README), and
  # -rdynamic lets those libraries' calls reach it.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread -rdynamic)
endif()
if((PATHPAIR_SANITIZE OR PATHPAIR_TSAN) AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports uninitialized reads that cannot happen in sanitizer-instrumented code
  # (std::optional<std::string> members); the sanitizers themselves check what matters here.
  add_compile_options(-Wno-maybe-uninitialized)
endif()
