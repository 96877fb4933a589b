# esa CLI tests: test_cli drives esa_cli::run() in-process against an in-process emulator over TLS;
# test_cli_demo runs the built esa and esa-emulator binaries the way scripts/demo.sh does.
# Sources live in tests/cli/ (not tests/unit/) because they need the tools' headers and CLI11, which
# exist only when the tools are built.
if(NOT (ALICLOUD_BUILD_TOOLS AND EXISTS ${PROJECT_SOURCE_DIR}/tools/esa/CMakeLists.txt
        AND EXISTS ${PROJECT_SOURCE_DIR}/tools/esa-emulator/CMakeLists.txt))
  return()
endif()

foreach(name test_cli test_cli_demo)
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/cli/${name}.cpp)
  # esa_cli_headers / esa_emulator_headers are defined later (tools/ comes after tests/); CMake
  # resolves target names at generate time.
  target_link_libraries(${name} PRIVATE esa_cli_headers esa_emulator_headers alicloud_warnings alicloud_test_main
                        doctest::doctest)
  target_compile_definitions(${name} PRIVATE ALICLOUD_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                             ALICLOUD_TEST_BINARY_DIR="${PROJECT_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 180 LABELS "cli;network-loopback")
endforeach()
target_compile_definitions(test_cli_demo PRIVATE ESA_BINARY="$<TARGET_FILE:esa>"
                           ESA_EMULATOR_BINARY="$<TARGET_FILE:esa-emulator>")
add_dependencies(test_cli_demo esa esa-emulator)
