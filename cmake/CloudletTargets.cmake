# Helpers that keep each module's CMakeLists.txt short.
#
# cloudlet_library(name SOURCES ... DEPS ...)   a static library of our own code
# cloudlet_test(name SOURCES ... DEPS ... [PG]) a GoogleTest binary run by ctest;
#   PG marks a test that needs a live PostgreSQL: it links the harness in
#   tests/support, which starts a throwaway cluster for the whole binary.

function(cloudlet_library name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${L_SOURCES})
  target_link_libraries(${name} PUBLIC ${L_DEPS})
  cloudlet_warnings(${name})
endfunction()

function(cloudlet_test name)
  if(NOT CLOUDLET_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "PG" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  cloudlet_warnings(${name})
  if(T_PG)
    target_link_libraries(${name} PRIVATE ${T_DEPS} cloudlet_pg_harness GTest::gmock)
    set(label pg)
  else()
    target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest_main GTest::gmock)
    set(label unit)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS ${label})
endfunction()
