# Build helpers shared by every folder. Each subsystem keeps its own CMakeLists,
# sources, tests and samples; these functions keep them alike.

set(HELLOTRACE_PLUGIN_OUTPUT_DIR "${CMAKE_BINARY_DIR}/plugins")  # HellotracePlugin.cmake
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin")

add_compile_options(-Wall -Wextra -Wpedantic -Wno-unused-parameter)
if(HELLOTRACE_WERROR)
  add_compile_options(-Werror)
endif()

if(HELLOTRACE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(HELLOTRACE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HELLOTRACE_FUZZ needs clang (CXX=clang++)")
  endif()
  # Everything is built with coverage so the fuzzers see inside the parsers.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Adds every direct sub-folder of DIR that has a CMakeLists.txt, except those named
# in HELLOTRACE_SKIP_DIRS (e.g. -DHELLOTRACE_SKIP_DIRS="plugins/udr;bench/evtx").
set(HELLOTRACE_SKIP_DIRS "" CACHE STRING "Sub-folders (relative to the source root) not to build")
function(hellotrace_add_subdirectories dir)
  file(GLOB children LIST_DIRECTORIES true "${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*")
  list(SORT children)
  foreach(child ${children})
    file(RELATIVE_PATH rel "${CMAKE_SOURCE_DIR}" "${child}")
    if(rel IN_LIST HELLOTRACE_SKIP_DIRS)
      continue()
    endif()
    if(IS_DIRECTORY "${child}" AND EXISTS "${child}/CMakeLists.txt")
      add_subdirectory("${child}")
    endif()
  endforeach()
endfunction()

# hellotrace_add_plugin(IDENT ident NAME name SOURCES ... [LIBS ...]): the same function
# find_package(hellotrace) gives plugins outside the tree.
include(${CMAKE_CURRENT_LIST_DIR}/HellotracePlugin.cmake)

# hellotrace_add_test(name SOURCES ... [LIBS ...] [LABELS ...])
# A GoogleTest executable whose tests ctest lists one by one. Tests find the source
# tree (samples) and the shared corpus through these compile definitions.
function(hellotrace_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE GTest::gtest GTest::gtest_main ${T_LIBS})
  target_compile_definitions(${name} PRIVATE
    HT_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    HT_BINARY_DIR="${CMAKE_BINARY_DIR}"
    HT_CORPUS_DIR="${HELLOTRACE_CORPUS_DIR}"
    HT_PLUGIN_DIR="${HELLOTRACE_PLUGIN_OUTPUT_DIR}")
  include(GoogleTest)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS unit)
endfunction()

# hellotrace_add_fuzzer(name SOURCE file LIBS ... SEEDS dir...)
# With HELLOTRACE_FUZZ: a libFuzzer binary plus a ctest that fuzzes for
# HELLOTRACE_FUZZ_SECONDS from the seeds. Without it: the same target linked to a
# small driver that replays the seeds, so every build keeps fuzz targets compiling
# and their seeds passing.
# `fuzzers` builds every fuzz target (the fuzz flavour of scripts/build uses it).
add_custom_target(fuzzers)
set(HELLOTRACE_FUZZ_SECONDS 20 CACHE STRING "Seconds each fuzz test runs")
function(hellotrace_add_fuzzer name)
  cmake_parse_arguments(F "" "SOURCE" "LIBS;SEEDS" ${ARGN})
  add_executable(${name} ${F_SOURCE})
  target_link_libraries(${name} PRIVATE ${F_LIBS})
  add_dependencies(fuzzers ${name})
  if(HELLOTRACE_FUZZ)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    set(work "${CMAKE_BINARY_DIR}/fuzz-work/${name}")
    add_test(NAME fuzz.${name}
             COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
                     $<TARGET_FILE:${name}> -max_total_time=${HELLOTRACE_FUZZ_SECONDS}
                     -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
                     -artifact_prefix=${work}/ ${work}/corpus ${F_SEEDS})
    set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz)
    file(MAKE_DIRECTORY "${work}/corpus")
  else()
    target_sources(${name} PRIVATE ${CMAKE_SOURCE_DIR}/fuzz/replay_main.cpp)
    add_test(NAME fuzz-replay.${name} COMMAND ${name} ${F_SEEDS})
    set_tests_properties(fuzz-replay.${name} PROPERTIES LABELS "unit;fuzz-replay")
  endif()
endfunction()
