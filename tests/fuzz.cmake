# libFuzzer harnesses (tests/fuzz/fuzz_<name>.c), included by
# tests/CMakeLists.txt when NGC_FUZZ=ON. Clang only. The sources they test
# are compiled again with coverage instrumentation, AddressSanitizer and
# UndefinedBehaviorSanitizer into ngc_fuzz_lib; the normal libraries are
# untouched. Each harness is a ctest labelled "fuzz" that runs for
# NGC_FUZZ_SECONDS on a copy of its seed corpus in the build tree (new inputs
# land there, never in tests/fuzz/corpus). tests/fuzz/run.sh drives it all.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(WARNING "NGC_FUZZ=ON needs clang with libFuzzer (CC=clang); "
                  "the fuzz harnesses are not built with ${CMAKE_C_COMPILER_ID}")
  return()
endif()
if(NGC_SANITIZE)
  message(WARNING "NGC_FUZZ=ON with NGC_SANITIZE=${NGC_SANITIZE}: the harnesses bring "
                  "address,undefined themselves; use a separate build without NGC_SANITIZE")
endif()

set(NGC_FUZZ_SECONDS 60 CACHE STRING "seconds each fuzz test runs")
set(NGC_FUZZ_SAN address,undefined)
set(NGC_FUZZ_COMPILE -fno-sanitize-recover=all -fno-omit-frame-pointer -g)

include(CheckCSourceCompiles)
set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer,${NGC_FUZZ_SAN})
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer,${NGC_FUZZ_SAN})
check_c_source_compiles("
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { (void)data; return (int)size * 0; }
" NGC_HAS_LIBFUZZER)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(NOT NGC_HAS_LIBFUZZER)
  message(FATAL_ERROR "NGC_FUZZ=ON: ${CMAKE_C_COMPILER} cannot link -fsanitize=fuzzer "
                      "(on Debian: apt-get install libclang-rt-dev or libclang-rt-14-dev)")
endif()

# The code under test: every source of the engine and worker libraries (the
# linker keeps what the harnesses call), compiled again with the fuzz flags,
# with the libraries and definitions (NGC_HAVE_ISAL...) those targets use.
set(NGC_FUZZ_SOURCES)
set(NGC_FUZZ_LIBS)
set(NGC_FUZZ_DEFS)
set(NGC_FUZZ_INCS)
set(NGC_FUZZ_OPTS)
foreach(lib ngc_core ngc_workers ngc_coordinator ngc_modes)
  get_target_property(dir ${lib} SOURCE_DIR)
  get_target_property(srcs ${lib} SOURCES)
  foreach(src ${srcs})
    if(NOT IS_ABSOLUTE ${src})
      set(src ${dir}/${src})
    endif()
    list(APPEND NGC_FUZZ_SOURCES ${src})
  endforeach()
  get_target_property(libs ${lib} LINK_LIBRARIES)
  foreach(l ${libs})
    if(NOT l MATCHES "^ngc_")
      list(APPEND NGC_FUZZ_LIBS ${l})
    endif()
  endforeach()
  get_target_property(defs ${lib} COMPILE_DEFINITIONS)
  if(defs)
    list(APPEND NGC_FUZZ_DEFS ${defs})
  endif()
  # The headers of the libraries opened with dlopen (ngc_compile_with).
  get_target_property(incs ${lib} INCLUDE_DIRECTORIES)
  if(incs)
    list(APPEND NGC_FUZZ_INCS ${incs})
  endif()
  get_target_property(opts ${lib} COMPILE_OPTIONS)
  if(opts)
    list(APPEND NGC_FUZZ_OPTS ${opts})
  endif()
endforeach()
list(REMOVE_DUPLICATES NGC_FUZZ_LIBS)
add_library(ngc_fuzz_lib STATIC ${NGC_FUZZ_SOURCES})
target_include_directories(ngc_fuzz_lib PUBLIC ${PROJECT_SOURCE_DIR} ${NGC_FUZZ_INCS})
target_compile_definitions(ngc_fuzz_lib PUBLIC ${NGC_FUZZ_DEFS})
target_compile_options(ngc_fuzz_lib PUBLIC -fsanitize=fuzzer-no-link,${NGC_FUZZ_SAN}
                       ${NGC_FUZZ_COMPILE} ${NGC_FUZZ_OPTS})
target_link_libraries(ngc_fuzz_lib PUBLIC ${NGC_FUZZ_LIBS})

set(NGC_FUZZ_CORPUS ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus)
set(NGC_FUZZ_ARTIFACTS ${CMAKE_CURRENT_BINARY_DIR}/fuzz-artifacts)
set(NGC_FUZZ_HARNESSES parse gzip msg)
set(NGC_FUZZ_TARGETS)
foreach(h ${NGC_FUZZ_HARNESSES})
  add_executable(fuzz_${h} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_${h}.c)
  target_link_libraries(fuzz_${h} PRIVATE ngc_fuzz_lib)
  target_link_options(fuzz_${h} PRIVATE -fsanitize=fuzzer,${NGC_FUZZ_SAN})
  list(APPEND NGC_FUZZ_TARGETS fuzz_${h})
  file(MAKE_DIRECTORY ${NGC_FUZZ_ARTIFACTS}/fuzz_${h})

  # Refresh the build tree's corpus from the committed seeds before each run
  # (inputs found by earlier runs stay).
  add_test(NAME fuzz_${h}_corpus COMMAND ${CMAKE_COMMAND} -E copy_directory
           ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/fuzz_${h} ${NGC_FUZZ_CORPUS}/fuzz_${h})
  set_tests_properties(fuzz_${h}_corpus PROPERTIES LABELS fuzz FIXTURES_SETUP fuzz_${h}_corpus)
  add_test(NAME fuzz_${h} COMMAND fuzz_${h}
           -max_total_time=${NGC_FUZZ_SECONDS} -max_len=65536 -timeout=10 -rss_limit_mb=2048
           -print_final_stats=1 -artifact_prefix=${NGC_FUZZ_ARTIFACTS}/fuzz_${h}/
           ${NGC_FUZZ_CORPUS}/fuzz_${h})
  math(EXPR timeout "${NGC_FUZZ_SECONDS} + 300")
  set_tests_properties(fuzz_${h} PROPERTIES LABELS fuzz TIMEOUT ${timeout}
                       FIXTURES_REQUIRED fuzz_${h}_corpus)

  # Inputs that once crashed a harness (tests/fuzz/crashes/fuzz_<name>/),
  # each run once: regression cases until the bug they show is fixed.
  file(GLOB crashes ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/crashes/fuzz_${h}/*)
  if(crashes)
    add_test(NAME fuzz_${h}_crashes COMMAND fuzz_${h} -runs=1 ${crashes})
    set_tests_properties(fuzz_${h}_crashes PROPERTIES LABELS fuzz TIMEOUT 300)
  endif()
endforeach()
add_custom_target(fuzz_all DEPENDS ${NGC_FUZZ_TARGETS})

# The seed generator: rewrites tests/fuzz/corpus, on request only
# (cmake --build build-fuzz --target fuzz_seeds).
add_executable(fuzz_make_seeds EXCLUDE_FROM_ALL ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/make-seeds.c)
target_link_libraries(fuzz_make_seeds PRIVATE ngc_core ZLIB::ZLIB)
add_custom_target(fuzz_seeds
  COMMAND fuzz_make_seeds ${PROJECT_SOURCE_DIR}/datasets/sample-1gram.tsv
          ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus
  DEPENDS fuzz_make_seeds VERBATIM)
