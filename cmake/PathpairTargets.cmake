# How pathpair's targets are declared, and how each one sees only the headers it may include.
#
# Every header belongs to exactly one target. pathpair_library() stages a library's headers
# under ${CMAKE_BINARY_DIR}/include/<target>/, as symbolic links at the same path relative to
# the repository root (so an edit to the source is seen at once, and `#include
# "agent/engine/trace_engine.h"` keeps its spelling), and exports that directory, and only that
# one, as the library's include directory. A target therefore compiles against the headers of
# itself and of the targets it links (directly, or through a dependency's DEPS), and an
# undeclared dependency is a compile error. Generated code follows the same layout
# (cmake/PathpairProto.cmake). The source tree itself is never an include directory, and
# pathpair_check_includes() (cmake/PathpairIncludeCheck.cmake) fails the configure when a
# target exposes it or includes a third-party header without linking its package.
#
#   pathpair_library(pathpair_engine
#     SOURCES trace_engine.cc                # its headers: trace_engine.h, next to it
#     HEADERS probe_types.h                  # headers without a .cc of the same name
#     DEPS pathpair_packet absl::status      # what its headers and sources include
#     PRIVATE_DEPS ...)                      # what only its sources include (optional)
#
# A library without SOURCES is header-only (an INTERFACE library). pathpair_test() and
# pathpair_executable() take the same arguments; their headers are visible to themselves only.

# Stages HEADERS (paths relative to the current source directory, or absolute) for TARGET and
# records each header's owner, so that no header can belong to two targets. Returns the
# staging directory in OUT_DIR.
function(_pathpair_stage_headers target out_dir)
  set(stage ${CMAKE_BINARY_DIR}/include/${target})
  # Cleared on every configure, so that a header dropped from a target stops being visible.
  file(REMOVE_RECURSE ${stage})
  file(MAKE_DIRECTORY ${stage})
  set(staged "")
  foreach(header IN LISTS ARGN)
    get_filename_component(header ${header} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    if(NOT EXISTS ${header})
      message(FATAL_ERROR "${target}: header ${header} does not exist")
    endif()
    file(RELATIVE_PATH relative ${PROJECT_SOURCE_DIR} ${header})
    if(relative MATCHES "^\\.\\./")
      message(FATAL_ERROR "${target}: header ${header} is outside the source tree")
    endif()
    get_property(owner GLOBAL PROPERTY PATHPAIR_HEADER_OWNER_${relative})
    if(owner AND NOT owner STREQUAL target)
      message(FATAL_ERROR "${target}: header ${relative} already belongs to ${owner}; "
                          "link ${owner} instead of listing its header")
    endif()
    set_property(GLOBAL PROPERTY PATHPAIR_HEADER_OWNER_${relative} ${target})
    get_filename_component(directory ${stage}/${relative} DIRECTORY)
    file(MAKE_DIRECTORY ${directory})
    file(CREATE_LINK ${header} ${stage}/${relative} SYMBOLIC)
    list(APPEND staged ${header})
  endforeach()
  # Read by pathpair_check_includes() (the third-party includes of headers count too).
  set_property(TARGET ${target} APPEND PROPERTY PATHPAIR_HEADERS ${staged})
  set(${out_dir} ${stage} PARENT_SCOPE)
endfunction()

# The headers of SOURCES (<stem>.h next to each <stem>.cc that has one) plus HEADERS.
function(_pathpair_headers_of out)
  cmake_parse_arguments(ARG "" "" "SOURCES;HEADERS" ${ARGN})
  set(headers ${ARG_HEADERS})
  foreach(source IN LISTS ARG_SOURCES)
    get_filename_component(source ${source} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    string(REGEX REPLACE "\\.(cc|cpp|c)$" ".h" header ${source})
    if(NOT header STREQUAL source AND EXISTS ${header})
      list(APPEND headers ${header})
    endif()
  endforeach()
  set(${out} ${headers} PARENT_SCOPE)
endfunction()

# Arguments common to every pathpair_* target function.
macro(_pathpair_parse_target_arguments function extra_lists)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES;HEADERS;DEPS;PRIVATE_DEPS;${extra_lists}")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${function}(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  _pathpair_headers_of(headers SOURCES ${ARG_SOURCES} HEADERS ${ARG_HEADERS})
endmacro()

# pathpair_library(NAME [SOURCES ...] [HEADERS ...] [DEPS ...] [PRIVATE_DEPS ...]): a static
# library (header-only without SOURCES) with the project flags; its headers are public.
function(pathpair_library name)
  _pathpair_parse_target_arguments(pathpair_library "")
  if(ARG_SOURCES)
    add_library(${name} STATIC ${ARG_SOURCES})
    target_link_libraries(${name} PUBLIC ${ARG_DEPS}
                          PRIVATE ${ARG_PRIVATE_DEPS} pathpair_build_options)
    _pathpair_stage_headers(${name} stage ${headers})
    target_include_directories(${name} PUBLIC ${stage})
  else()
    if(ARG_PRIVATE_DEPS)
      message(FATAL_ERROR "pathpair_library(${name}): a header-only library has no PRIVATE_DEPS")
    endif()
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
    _pathpair_stage_headers(${name} stage ${headers})
    target_include_directories(${name} INTERFACE ${stage})
  endif()
endfunction()

# pathpair_executable(NAME SOURCES ... [HEADERS ...] [DEPS ...]): a program with the project
# flags.
function(pathpair_executable name)
  _pathpair_parse_target_arguments(pathpair_executable "")
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} ${ARG_PRIVATE_DEPS} pathpair_build_options)
  if(PATHPAIR_TSAN)
    # Every program of a TSan build, not only the test binaries: tests run pathpair and
    # pathpair-agent too, and their absl::Mutex must be as visible to TSan.
    target_link_libraries(${name} PRIVATE pathpair_tsan_absl)
  endif()
  _pathpair_stage_headers(${name} stage ${headers})
  target_include_directories(${name} PRIVATE ${stage})
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
  # absl::Mutex made visible to TSan in every executable (tests/tsan/README.md).
  add_library(pathpair_tsan_absl OBJECT ${PROJECT_SOURCE_DIR}/tests/tsan/absl_mutex_annotations.cc)
  target_link_libraries(pathpair_tsan_absl PUBLIC absl::synchronization absl::time
                        ${CMAKE_DL_LIBS})
endif()

# pathpair_test(NAME SOURCES ... [HEADERS ...] [DEPS ...] [LABELS ...]): a GoogleTest binary
# registered with ctest (label `unit` unless LABELS says otherwise).
function(pathpair_test name)
  _pathpair_parse_target_arguments(pathpair_test "LABELS")
  pathpair_executable(${name} SOURCES ${ARG_SOURCES} HEADERS ${ARG_HEADERS}
                      DEPS ${ARG_DEPS} ${ARG_PRIVATE_DEPS} GTest::gmock_main)
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
#
# The order of these folders carries no meaning, so no folder may depend on it. A folder names
# other folders' targets only where CMake resolves names when it generates the build system,
# after every folder has been read: in DEPS, target_link_libraries() and generator expressions
# such as $<TARGET_FILE:...>. It never asks about them while it is being read (if(TARGET ...),
# get_target_property(), variables set there): every pathpair target always exists, and every
# package is found once, at the top (cmake/PathpairDependencies.cmake). The one fixed order is
# the top-level list (proto, common, agent, controller, tests), which a folder may rely on.
function(pathpair_add_subdirectories)
  file(GLOB children LIST_DIRECTORIES true CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/*/CMakeLists.txt)
  list(SORT children)
  foreach(cm ${children})
    get_filename_component(dir ${cm} DIRECTORY)
    add_subdirectory(${dir})
  endforeach()
endfunction()
