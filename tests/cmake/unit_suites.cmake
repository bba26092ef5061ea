# Writes one ctest test per GoogleTest suite of TEST_EXE into OUT (run after each build of the unit
# test binary). Used by the sanitizer build, where every process start costs ~0.4 s of page faults
# (25,000 of them for the 220 MB instrumented binary): 138 suites instead of 669 single-test processes.
execute_process(COMMAND ${TEST_EXE} --gtest_list_tests OUTPUT_VARIABLE listing RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TEST_EXE} --gtest_list_tests failed: ${rc}")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(script "")
set(count 0)
foreach(line IN LISTS lines)
  # Suite lines start in column 0 and end with '.', optionally followed by "  # TypeParam = ...".
  if(line MATCHES "^([^ #][^ ]*)\\.( .*)?$")
    set(suite ${CMAKE_MATCH_1})
    string(APPEND script "add_test([=[${suite}]=] [==[${TEST_EXE}]==] [=[--gtest_filter=${suite}.*]=])\n"
                         "set_tests_properties([=[${suite}]=] PROPERTIES LABELS unit TIMEOUT 600)\n")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "${TEST_EXE} lists no test suites")
endif()
file(WRITE ${OUT} "${script}")
