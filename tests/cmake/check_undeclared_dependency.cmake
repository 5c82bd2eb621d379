# cmake -DPATHPAIR_SOURCE_DIR=... -DFIXTURE_DIR=... -DWORK_DIR=... -DGENERATOR=...
#       -DCXX_COMPILER=... -P check_undeclared_dependency.cmake
# Configures and builds each case of the fixture project (FIXTURE_DIR) and checks the outcome:
# the declared case builds; each undeclared dependency fails, naming what it may not include; a
# missing schema or import fails the configure, naming the file.
file(REMOVE_RECURSE ${WORK_DIR})
set(failures "")

# run_case(CASE EXPECT PATTERN): EXPECT is `builds`, `configure_fails` or `build_fails`; a
# failure's output must match PATTERN.
function(run_case case expect pattern)
  set(build ${WORK_DIR}/${case})
  execute_process(
    COMMAND ${CMAKE_COMMAND} -S ${FIXTURE_DIR} -B ${build} -G ${GENERATOR}
            -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DPATHPAIR_SOURCE_DIR=${PATHPAIR_SOURCE_DIR}
            -DCASE=${case}
    RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  set(stage configure)
  if(status EQUAL 0)
    set(stage build)
    execute_process(COMMAND ${CMAKE_COMMAND} --build ${build}
                    RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  endif()
  if(status EQUAL 0)
    set(outcome builds)
  else()
    set(outcome ${stage}_fails)
  endif()
  if(NOT outcome STREQUAL expect)
    set(problem "${case}: expected `${expect}`, got `${outcome}`")
  elseif(NOT status EQUAL 0 AND NOT output MATCHES "${pattern}")
    set(problem "${case}: failed, but the output does not match `${pattern}`")
  else()
    message(STATUS "ok: ${case} (${outcome})")
    return()
  endif()
  message(STATUS "FAILED: ${problem}\n${output}")
  set(failures ${failures} ${case} PARENT_SCOPE)
endfunction()

run_case(declared builds "")
run_case(undeclared_library build_fails "alpha/alpha\\.h")
run_case(undeclared_header_only_library build_fails "gamma/gamma\\.h")
run_case(undeclared_package configure_fails
         "uses_json\\.cc includes <nlohmann/json\\.hpp> but consumer does not link nlohmann_json")
run_case(source_tree_include configure_fails "the source folder [^\n]* is an include directory")
run_case(missing_schema configure_fails "the schema.*schema/absent\\.proto.*does not exist")
run_case(missing_import configure_fails "the import schema/absent\\.proto is not in")

file(REMOVE_RECURSE ${WORK_DIR})
if(failures)
  message(FATAL_ERROR "cases that did not behave: ${failures}")
endif()
