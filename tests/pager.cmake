# pagination.hpp and waiter.hpp compile on their own against the models target alone (no client, no
# transport) and pull in nothing from Asio/Beast/OpenSSL. Part of the default build.
set(_alicloud_pager_tus "")
foreach(header pagination waiter)
  set(tu ${CMAKE_CURRENT_BINARY_DIR}/pager_headers/${header}.cpp)
  file(CONFIGURE OUTPUT ${tu} CONTENT [[
#include <alicloud/core/@header@.hpp>
#include <alicloud/core/@header@.hpp>
#if defined(BOOST_ASIO_VERSION) || defined(BOOST_BEAST_VERSION) || defined(OPENSSL_VERSION_NUMBER)
#error "alicloud/core/@header@.hpp must stay free of the transport"
#endif
]] @ONLY)
  list(APPEND _alicloud_pager_tus ${tu})
endforeach()
add_library(alicloud_pager_headers_check OBJECT ${_alicloud_pager_tus})
target_link_libraries(alicloud_pager_headers_check PRIVATE alicloud::models alicloud_warnings)

# Generated waiters, behaviourally: the golden fixture's paginated waiter (demo) and a second fixture
# (tests/waiters) with an unpaginated poll, integer/boolean literals and a waiter without forEach, which
# is generated into the build tree here.
if(TARGET alicloud-gen)
  set(_jobs_dir ${PROJECT_BINARY_DIR}/waiter-fixture)
  add_custom_command(
    OUTPUT ${_jobs_dir}/stamp
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${_jobs_dir}/include
    COMMAND alicloud-gen --spec ${CMAKE_CURRENT_SOURCE_DIR}/waiters/api-docs.json
            --overlay ${CMAKE_CURRENT_SOURCE_DIR}/waiters/overlay.json --include-dir ${_jobs_dir}/include
    COMMAND ${CMAKE_COMMAND} -E touch ${_jobs_dir}/stamp
    DEPENDS alicloud-gen ${CMAKE_CURRENT_SOURCE_DIR}/waiters/api-docs.json ${CMAKE_CURRENT_SOURCE_DIR}/waiters/overlay.json
    COMMENT "Generating the waiter test fixture"
    VERBATIM)
  add_custom_target(waiter_fixture_generate DEPENDS ${_jobs_dir}/stamp)
  add_executable(test_fixture_waiters ${CMAKE_CURRENT_SOURCE_DIR}/waiters/test_fixture_waiters.cpp)
  add_dependencies(test_fixture_waiters waiter_fixture_generate)
  target_include_directories(test_fixture_waiters PRIVATE ${_jobs_dir}/include
                             ${CMAKE_CURRENT_SOURCE_DIR}/golden/expected/include)
  target_link_libraries(test_fixture_waiters PRIVATE alicloud::models Threads::Threads alicloud_test_main
                        doctest::doctest alicloud_warnings)
  add_test(NAME test_fixture_waiters COMMAND test_fixture_waiters)
  # Bad "waiters" overlay entries: the real generator must name the path and the rule.
  add_executable(test_waiter_overlay_cli ${CMAKE_CURRENT_SOURCE_DIR}/waiters/test_waiter_overlay_cli.cpp)
  target_link_libraries(test_waiter_overlay_cli PRIVATE Boost::json alicloud_test_main doctest::doctest alicloud_warnings)
  target_compile_definitions(test_waiter_overlay_cli PRIVATE ALICLOUD_GEN="$<TARGET_FILE:alicloud-gen>"
    FIXTURE_DIR="${CMAKE_CURRENT_SOURCE_DIR}/waiters")
  add_dependencies(test_waiter_overlay_cli alicloud-gen)
  add_test(NAME test_waiter_overlay_cli COMMAND test_waiter_overlay_cli)
endif()
