# Unit tests: one cmocka executable per module (tests/test_<name>.c), each
# registered as ctest unit_<name>. Label "unit" for pure code, "proc" for
# tests that fork or start threads (these also run under ThreadSanitizer).

function(ngc_unit_test name label)
  add_executable(test_${name} ${CMAKE_CURRENT_SOURCE_DIR}/test_${name}.c)
  target_link_libraries(test_${name} PRIVATE ngc_workers ngc_engine PkgConfig::CMOCKA)
  add_test(NAME unit_${name} COMMAND test_${name})
  set_tests_properties(unit_${name} PROPERTIES LABELS "${label}" TIMEOUT 600)
endfunction()

ngc_unit_test(parse unit)
ngc_unit_test(map unit)
ngc_unit_test(msg unit)
ngc_unit_test(config unit)
ngc_unit_test(reader unit)
ngc_unit_test(counters proc)
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
ngc_unit_test(shuffle unit)
