# pathpair_check_includes(): run once, after every folder has been read. Fails the configure
# when a target
#  - has the source tree (or a folder of it) as an include directory: a target sees the headers
#    of the targets it links, staged by pathpair_library() (cmake/PathpairTargets.cmake), and
#    nothing else of the tree; or
#  - includes a third-party header (in a source, or in one of its staged headers) without
#    linking, directly or through its dependencies, the package that provides it. These
#    headers sit in /usr/include, where the compiler finds them anyway, hence this check.
# Third-party headers map to packages by the rules below; an Abseil header absl/DIR/NAME.h needs
# the first of absl::NAME, absl::DIR_NAME, absl::DIR that exists.

set(PATHPAIR_THIRD_PARTY_HEADERS
  "^nlohmann/" nlohmann_json::nlohmann_json
  "^CLI/" CLI11::CLI11
  "^ares(_[a-z]+)?\\.h$" PkgConfig::cares
  "^maxminddb\\.h$" PkgConfig::maxminddb
  "^sqlite3\\.h$" PkgConfig::sqlite3
  "^pqxx/" PkgConfig::libpqxx
  "^libpq-fe\\.h$" PkgConfig::libpq
  "^sys/capability\\.h$" PkgConfig::libcap
  "^httplib\\.h$" PkgConfig::cpp-httplib
  "^yaml-cpp/" PkgConfig::yaml-cpp
  "^openssl/" OpenSSL::Crypto
  "^n?curses\\.h$" pathpair_curses
  "^grpcpp/ext/proto_server_reflection" gRPC::grpc++_reflection
  "^grpcpp?/" gRPC::grpc++
  "^google/protobuf/" protobuf::libprotobuf
  "^gmock/" GTest::gmock
  "^gtest/" GTest::gtest
  "^benchmark/" benchmark::benchmark)

# The package TARGET needs for INCLUDE ("" when it is not a third-party header).
function(_pathpair_package_of include out)
  set(rules ${PATHPAIR_THIRD_PARTY_HEADERS})
  while(rules)
    list(POP_FRONT rules pattern package)
    if(include MATCHES "${pattern}")
      set(${out} ${package} PARENT_SCOPE)
      return()
    endif()
  endwhile()
  set(${out} "" PARENT_SCOPE)
  if(include MATCHES "^absl/([a-z_]+)/([a-z_]+)\\.h$")
    foreach(candidate absl::${CMAKE_MATCH_2} absl::${CMAKE_MATCH_1}_${CMAKE_MATCH_2}
                      absl::${CMAKE_MATCH_1})
      if(TARGET ${candidate})
        set(${out} ${candidate} PARENT_SCOPE)
        return()
      endif()
    endforeach()
  endif()
endfunction()

# A target's name with aliases resolved.
function(_pathpair_real_target name out)
  get_target_property(aliased ${name} ALIASED_TARGET)
  if(aliased)
    set(name ${aliased})
  endif()
  set(${out} ${name} PARENT_SCOPE)
endfunction()

# The targets among ITEMS (a link list), aliases resolved; $<LINK_ONLY:...> items carry no
# headers and are left out.
function(_pathpair_linked_targets out)
  set(targets "")
  foreach(item IN LISTS ARGN)
    if(item MATCHES "^\\$<LINK_ONLY:" OR item MATCHES "^::@")
      continue()
    endif()
    if(TARGET "${item}")
      _pathpair_real_target(${item} item)
      list(APPEND targets ${item})
    endif()
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# TARGET and every target whose usage requirements reach a consumer of TARGET (memoized).
function(_pathpair_interface_closure target out)
  get_property(known GLOBAL PROPERTY PATHPAIR_CLOSURE_${target} SET)
  if(known)
    get_property(closure GLOBAL PROPERTY PATHPAIR_CLOSURE_${target})
  else()
    set_property(GLOBAL PROPERTY PATHPAIR_CLOSURE_${target} ${target})  # cuts cycles
    get_target_property(links ${target} INTERFACE_LINK_LIBRARIES)
    _pathpair_reached_by(closure ${links})
    list(PREPEND closure ${target})
    list(REMOVE_DUPLICATES closure)
    set_property(GLOBAL PROPERTY PATHPAIR_CLOSURE_${target} ${closure})
  endif()
  set(${out} ${closure} PARENT_SCOPE)
endfunction()

# Every target whose usage requirements reach a target that links the link list ARGN.
function(_pathpair_reached_by out)
  _pathpair_linked_targets(links ${ARGN})
  set(reached "")
  foreach(link IN LISTS links)
    _pathpair_interface_closure(${link} more)
    list(APPEND reached ${more})
  endforeach()
  list(REMOVE_DUPLICATES reached)
  set(${out} ${reached} PARENT_SCOPE)
endfunction()

# The #include names of FILE (memoized).
function(_pathpair_includes_of file out)
  get_property(known GLOBAL PROPERTY PATHPAIR_INCLUDES_${file} SET)
  if(NOT known)
    file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    set(includes "")
    foreach(line IN LISTS lines)
      if(line MATCHES "include[ \t]*[<\"]([^>\"]+)[>\"]")
        list(APPEND includes ${CMAKE_MATCH_1})
      endif()
    endforeach()
    set_property(GLOBAL PROPERTY PATHPAIR_INCLUDES_${file} ${includes})
  endif()
  get_property(includes GLOBAL PROPERTY PATHPAIR_INCLUDES_${file})
  set(${out} ${includes} PARENT_SCOPE)
endfunction()

# Every target defined in DIRECTORY and below.
function(_pathpair_targets_below directory out)
  get_property(targets DIRECTORY ${directory} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(children DIRECTORY ${directory} PROPERTY SUBDIRECTORIES)
  foreach(child IN LISTS children)
    _pathpair_targets_below(${child} more)
    list(APPEND targets ${more})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

function(_pathpair_check_include_directories target errors)
  set(found "")
  foreach(property INCLUDE_DIRECTORIES INTERFACE_INCLUDE_DIRECTORIES)
    get_target_property(directories ${target} ${property})
    foreach(directory IN LISTS directories)
      string(REGEX REPLACE "^\\$<BUILD_INTERFACE:(.*)>$" "\\1" directory "${directory}")
      cmake_path(IS_PREFIX PROJECT_SOURCE_DIR "${directory}" NORMALIZE in_sources)
      cmake_path(IS_PREFIX PROJECT_BINARY_DIR "${directory}" NORMALIZE in_build)
      if(in_sources AND NOT in_build)
        string(CONCAT error "${target}: the source folder ${directory} is an include "
                            "directory (link the pathpair_library() that owns the headers instead)")
        list(APPEND found "${error}")
      endif()
    endforeach()
  endforeach()
  set(${errors} ${found} PARENT_SCOPE)
endfunction()

function(_pathpair_check_third_party target errors)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    get_target_property(links ${target} INTERFACE_LINK_LIBRARIES)
    set(files "")
  else()
    get_target_property(links ${target} LINK_LIBRARIES)
    get_target_property(files ${target} SOURCES)
  endif()
  get_target_property(headers ${target} PATHPAIR_HEADERS)
  get_target_property(source_dir ${target} SOURCE_DIR)
  # A source sees everything the target links; a library's header, which its consumers compile
  # too, only what the library passes on to them (its DEPS, not its PRIVATE_DEPS).
  _pathpair_interface_closure(${target} visible_to_headers)
  _pathpair_reached_by(visible_to_sources ${links})
  list(APPEND visible_to_sources ${visible_to_headers})
  set(found "")
  foreach(file IN LISTS files headers)
    if(NOT file OR file MATCHES "\\$<")
      continue()
    endif()
    get_filename_component(file ${file} ABSOLUTE BASE_DIR ${source_dir})
    cmake_path(IS_PREFIX PROJECT_BINARY_DIR "${file}" NORMALIZE generated)
    if(generated OR NOT EXISTS ${file})
      continue()  # generated code (protoc, configure_file) follows its generator
    endif()
    if(file IN_LIST headers AND NOT type STREQUAL "EXECUTABLE")
      set(visible ${visible_to_headers})
    else()
      set(visible ${visible_to_sources})
    endif()
    _pathpair_includes_of(${file} includes)
    foreach(include IN LISTS includes)
      _pathpair_package_of(${include} package)
      if(NOT package)
        continue()
      endif()
      _pathpair_real_target(${package} real)
      if(NOT real IN_LIST visible)
        file(RELATIVE_PATH shown ${PROJECT_SOURCE_DIR} ${file})
        string(CONCAT error "${target}: ${shown} includes <${include}> but ${target} does "
                            "not link ${package}")
        list(APPEND found "${error}")
      endif()
    endforeach()
  endforeach()
  set(${errors} ${found} PARENT_SCOPE)
endfunction()

function(pathpair_check_includes)
  _pathpair_targets_below(${PROJECT_SOURCE_DIR} targets)
  set(errors "")
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(NOT type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY|INTERFACE_LIBRARY|EXECUTABLE)$")
      continue()
    endif()
    _pathpair_check_include_directories(${target} found)
    list(APPEND errors ${found})
    _pathpair_check_third_party(${target} found)
    list(APPEND errors ${found})
  endforeach()
  if(errors)
    list(JOIN errors "\n  " text)
    message(FATAL_ERROR "Undeclared dependencies (see cmake/PathpairIncludeCheck.cmake):\n  ${text}")
  endif()
endfunction()
