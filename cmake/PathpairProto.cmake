# Protobuf schemas as libraries. Each .proto compiles into its own small library,
# pathpair_proto_<name> for <name>.proto, so that a module links (and rebuilds for) only the
# schemas it uses. The generated code stays in the build tree, laid out like every staged header
# (cmake/PathpairTargets.cmake): ${CMAKE_BINARY_DIR}/include/pathpair_proto_<name>/<import path>,
# the library's only include directory. Consumers include the generated header by the schema's
# import path: "pathpair/v1/trace.pb.h", "tests/netsim/netsim.pb.h".
#
# The schema's imports are its dependencies: `import "pathpair/v1/trace.proto";` links
# pathpair_proto_trace and regenerates the code when trace.proto changes. A missing schema or
# import is a configure error.
#
#   pathpair_proto(trace)                          # proto/pathpair/v1/trace.proto
#   pathpair_proto(agent GRPC)                     # with the gRPC service stubs
#   pathpair_test_proto(tests/netsim/netsim.proto) # a test tool's schema (imported from the root)

# Compiles PROTO (absolute), whose imports are relative to IMPORT_ROOT; GRPC adds the stubs.
# DECLARED_DEPS, when given, must name exactly the libraries of the imported schemas.
function(_pathpair_protoc proto import_root grpc declared_deps)
  get_filename_component(name ${proto} NAME_WE)
  set(target pathpair_proto_${name})
  if(NOT EXISTS ${proto})
    message(FATAL_ERROR "${target}: the schema ${proto} does not exist")
  endif()
  get_property(other GLOBAL PROPERTY PATHPAIR_PROTO_${name})
  if(other)
    message(FATAL_ERROR "${proto}: ${target} is already the library of ${other}; "
                        "schema file names must be unique")
  endif()
  set_property(GLOBAL PROPERTY PATHPAIR_PROTO_${name} ${proto})

  # The imports, read again whenever the schema changes (CMAKE_CONFIGURE_DEPENDS).
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${proto})
  file(STRINGS ${proto} import_lines REGEX "^[ \t]*import[ \t]")
  set(imported_schemas "")
  set(imported_libraries "")
  foreach(line IN LISTS import_lines)
    if(NOT line MATCHES "^[ \t]*import[ \t]+(public[ \t]+|weak[ \t]+)?\"([^\"]+)\"")
      message(FATAL_ERROR "${proto}: cannot read the import `${line}`")
    endif()
    set(import ${CMAKE_MATCH_2})
    if(import MATCHES "^google/protobuf/")
      continue()  # well-known types, part of libprotobuf
    endif()
    if(NOT EXISTS ${import_root}/${import})
      message(FATAL_ERROR "${proto}: the import ${import} is not in ${import_root}")
    endif()
    get_filename_component(import_name ${import} NAME_WE)
    list(APPEND imported_schemas ${import_root}/${import})
    list(APPEND imported_libraries pathpair_proto_${import_name})
  endforeach()
  if(declared_deps)
    set(expected ${imported_libraries})
    list(SORT expected)
    list(SORT declared_deps)
    if(NOT declared_deps STREQUAL expected)
      message(FATAL_ERROR "${target}: DEPS (${declared_deps}) differ from the libraries of the "
                          "schemas ${proto} imports (${expected}); drop DEPS, the imports say it")
    endif()
  endif()

  set(out ${CMAKE_BINARY_DIR}/include/${target})
  file(RELATIVE_PATH relative ${import_root} ${proto})
  string(REGEX REPLACE "\\.proto$" "" stem ${relative})
  set(generated ${out}/${stem}.pb.cc ${out}/${stem}.pb.h)
  set(protoc_args --cpp_out=${out})
  set(tool_deps protobuf::protoc)
  if(grpc)
    list(APPEND generated ${out}/${stem}.grpc.pb.cc ${out}/${stem}.grpc.pb.h)
    list(APPEND protoc_args --grpc_out=${out}
                            --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
    list(APPEND tool_deps gRPC::grpc_cpp_plugin)
  endif()
  add_custom_command(
    OUTPUT ${generated}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
    COMMAND protobuf::protoc ${protoc_args} -I ${import_root} ${proto}
    DEPENDS ${proto} ${imported_schemas} ${tool_deps}
    COMMENT "protoc ${relative}")
  # Generated code does not link pathpair_build_options: it is not held to -Werror.
  add_library(${target} STATIC ${generated})
  target_include_directories(${target} PUBLIC ${out})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf ${imported_libraries})
  if(grpc)
    target_link_libraries(${target} PUBLIC gRPC::grpc++)
  endif()
endfunction()

# pathpair_proto(NAME [GRPC]): proto/pathpair/v1/NAME.proto into pathpair_proto_NAME (call it
# from proto/CMakeLists.txt). DEPS is accepted for older calls, and checked against the imports.
function(pathpair_proto name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "GRPC" "" "DEPS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "pathpair_proto(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  _pathpair_protoc(${PROJECT_SOURCE_DIR}/proto/pathpair/v1/${name}.proto
                   ${PROJECT_SOURCE_DIR}/proto "${ARG_GRPC}" "${ARG_DEPS}")
endfunction()

# pathpair_test_proto(PROTO): a test tool's schema, PROTO given from the repository root (which
# is also its import root), into pathpair_proto_<name of PROTO>.
function(pathpair_test_proto proto)
  if(ARGN)
    message(FATAL_ERROR "pathpair_test_proto(${proto}): unknown arguments ${ARGN}")
  endif()
  _pathpair_protoc(${PROJECT_SOURCE_DIR}/${proto} ${PROJECT_SOURCE_DIR} "" "")
endfunction()
