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

# pathpair_library(NAME SOURCES ... DEPS ...): a small static library with the project flags.
function(pathpair_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE pathpair_build_options)
endfunction()

# pathpair_label_targets(LABELS label... TARGETS target...): declares that tests with these ctest
# labels run these build targets. Each label gets a build target tests_<label> that builds them
# all, so a CI stage builds only what the tests it selects need:
#   cmake --build B --target tests_unit tests_fuzz && ctest --test-dir B -L 'unit|fuzz'
# pathpair_test declares its own binary; tests registered otherwise declare theirs. A test whose
# binary was not declared fails such a stage as "not built", so an omission shows.
function(pathpair_label_targets)
  cmake_parse_arguments(ARG "" "" "LABELS;TARGETS" ${ARGN})
  foreach(label ${ARG_LABELS})
    set_property(GLOBAL APPEND PROPERTY PATHPAIR_TARGETS_OF_LABEL_${label} ${ARG_TARGETS})
    set_property(GLOBAL APPEND PROPERTY PATHPAIR_TEST_LABELS ${label})
  endforeach()
endfunction()

# Called once, at the end of the top-level CMakeLists.txt: defines the tests_<label> targets.
function(pathpair_add_label_build_targets)
  get_property(labels GLOBAL PROPERTY PATHPAIR_TEST_LABELS)
  list(REMOVE_DUPLICATES labels)
  foreach(label ${labels})
    get_property(targets GLOBAL PROPERTY PATHPAIR_TARGETS_OF_LABEL_${label})
    list(REMOVE_DUPLICATES targets)
    add_custom_target(tests_${label})
    add_dependencies(tests_${label} ${targets})
  endforeach()
endfunction()

if(PATHPAIR_TSAN)
  # absl::Mutex made visible to TSan in every test binary (tests/tsan/README.md).
  add_library(pathpair_tsan_absl OBJECT ${PROJECT_SOURCE_DIR}/tests/tsan/absl_mutex_annotations.cc)
  target_link_libraries(pathpair_tsan_absl PUBLIC absl::synchronization absl::time
                        ${CMAKE_DL_LIBS})
endif()

# pathpair_test(NAME SOURCES ... DEPS ...): a GoogleTest binary registered with ctest.
function(pathpair_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock_main pathpair_build_options)
  if(PATHPAIR_TSAN)
    target_link_libraries(${name} PRIVATE pathpair_tsan_absl)
  endif()
  if(ARG_LABELS)
    pathpair_label_targets(LABELS ${ARG_LABELS} TARGETS ${name})
  else()
    pathpair_label_targets(LABELS unit TARGETS ${name})
  endif()
  if(ARG_LABELS)
    # gtest_discover_tests cannot carry a list of labels (it splits the property value), so a
    # labelled binary is registered as one ctest test.
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
  else()
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
  endif()
endfunction()

include(GoogleTest)

# Adds every direct subdirectory of the current source directory that has a CMakeLists.txt, so
# that a new module is one folder and needs no edit to its parent.
function(pathpair_add_subdirectories)
  file(GLOB children LIST_DIRECTORIES true CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/*/CMakeLists.txt)
  list(SORT children)
  foreach(cm ${children})
    get_filename_component(dir ${cm} DIRECTORY)
    add_subdirectory(${dir})
  endforeach()
endfunction()
