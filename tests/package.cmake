# Install into a staging prefix, then build and run tests/consumer against it with find_package.
set(stage ${PROJECT_BINARY_DIR}/package-stage)
add_test(NAME package_install
  COMMAND ${CMAKE_COMMAND} --install ${PROJECT_BINARY_DIR} --prefix ${stage})
set_tests_properties(package_install PROPERTIES FIXTURES_SETUP package)
add_test(NAME package_consumer
  COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${CMAKE_CURRENT_SOURCE_DIR}/consumer ${PROJECT_BINARY_DIR}/consumer-build
          --build-generator ${CMAKE_GENERATOR}
          --build-options -DCMAKE_PREFIX_PATH=${stage} -DDEMO_SPEC=${CMAKE_CURRENT_SOURCE_DIR}/golden/fixture/api-docs.json
          --test-command ${CMAKE_COMMAND} -E chdir ${PROJECT_BINARY_DIR}/consumer-build sh -c "./consumer && ./consumer_generated")
set_tests_properties(package_consumer PROPERTIES FIXTURES_REQUIRED package TIMEOUT 600
  PASS_REGULAR_EXPRESSION "consumer ok[\r\n]+generated ok")

# The vcpkg overlay port and the CMake config's find_dependency calls agree.
add_test(NAME package_port_consistency
  COMMAND ${CMAKE_COMMAND} -DPORT_JSON=${PROJECT_SOURCE_DIR}/ports/alicloud-cpp/vcpkg.json
          -DCONFIG_IN=${PROJECT_SOURCE_DIR}/cmake/alicloud-cppConfig.cmake.in -P ${PROJECT_SOURCE_DIR}/cmake/check_port.cmake)
