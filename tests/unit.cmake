# Unit tests: one cmocka executable per module (tests/test_<name>.c), each
# registered as ctest unit_<name>. Label "unit" for pure code, "proc" for
# tests that fork or start threads (these also run under ThreadSanitizer).

# ngc_proc_tests builds what ctest -L proc runs (the ThreadSanitizer stage
# of tools/run-tests builds only that).
add_custom_target(ngc_proc_tests)
add_dependencies(ngc_proc_tests ngram-count ngram-gen)

# ngc_unit_test(NAME LABEL [COST]): COST, as the e2e scripts' (about the
# seconds it takes under a sanitizer), makes ctest -j start a slow one first
# instead of last, where it ran alone at the end of the TSan stage.
function(ngc_unit_test name label)
  add_executable(test_${name} ${CMAKE_CURRENT_SOURCE_DIR}/test_${name}.c)
  target_link_libraries(test_${name} PRIVATE ngc_modes PkgConfig::CMOCKA)
  add_test(NAME unit_${name} COMMAND test_${name})
  set(cost 0)
  if(ARGC GREATER 2)
    set(cost ${ARGV2})
  endif()
  set_tests_properties(unit_${name} PROPERTIES LABELS "${label}" TIMEOUT 600 COST ${cost})
  if(label STREQUAL "proc")
    add_dependencies(ngc_proc_tests test_${name})
  endif()
endfunction()

ngc_unit_test(parse unit)
ngc_unit_test(combiner unit)
ngc_unit_test(msg unit)
ngc_unit_test(config unit)
ngc_unit_test(reader unit 30)
ngc_unit_test(counters proc 40)
ngc_unit_test(shmtx proc)
ngc_unit_test(channel proc)
ngc_unit_test(tpool proc)
ngc_unit_test(text unit)
ngc_unit_test(format unit)
ngc_unit_test(normalize unit)
ngc_unit_test(streaming unit)
ngc_unit_test(ranges unit)
ngc_unit_test(series unit)
ngc_unit_test(select unit)
ngc_unit_test(runfile unit)
ngc_unit_test(runs unit)
ngc_unit_test(plan unit)
ngc_unit_test(output unit)
ngc_unit_test(shuffle unit)
ngc_unit_test(sched unit)
