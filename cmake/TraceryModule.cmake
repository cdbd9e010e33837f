# tracery_module(NAME SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
#
# One static library per module of DESIGN.md: public headers under include/tracery/<module>/,
# our warnings as errors, and explicit PUBLIC/PRIVATE dependencies so that the build shows (and
# guards) which way the layers point.
set(TRACERY_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # g++ 12 at -O3 reports a false -Wrestrict inside std::string (GCC bug 105329).
  list(APPEND TRACERY_WARNINGS -Wno-error=restrict)
endif()

function(tracery_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(tracery_${name} STATIC ${ARG_SOURCES})
  add_library(tracery::${name} ALIAS tracery_${name})
  target_include_directories(tracery_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                             PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_options(tracery_${name} PRIVATE ${TRACERY_WARNINGS})
  target_link_libraries(tracery_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# tracery_executable(NAME SOURCES ... DEPS ...)
function(tracery_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${TRACERY_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# tracery_test(NAME SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary registered with ctest.
# SERIAL: the tests run alone (multi-process tests that need the machine's cores and ports).
function(tracery_test name)
  cmake_parse_arguments(ARG "SERIAL" "" "SOURCES;DEPS;LABELS" ${ARGN})
  tracery_executable(${name} SOURCES ${ARG_SOURCES} DEPS ${ARG_DEPS} GTest::gtest_main GTest::gmock)
  include(GoogleTest)
  set(serial FALSE)
  if(ARG_SERIAL)
    set(serial TRUE)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" RUN_SERIAL ${serial}
    DISCOVERY_TIMEOUT 60)
endfunction()
