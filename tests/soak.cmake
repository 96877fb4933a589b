# The soak test runs esa-emulator in-process (its headers live in tools/esa-emulator) and hammers it
# over loopback TLS with injected faults; a hang must fail the run, not stall it.
if(TARGET test_soak)
  if(TARGET esa_emulator_headers)
    target_link_libraries(test_soak PRIVATE esa_emulator_headers)
  else()
    target_include_directories(test_soak PRIVATE ${PROJECT_SOURCE_DIR}/tools/esa-emulator)
  endif()
  set_tests_properties(test_soak PROPERTIES TIMEOUT 300 LABELS "soak;network-loopback")
endif()
