# Client tests: the TLS one talks to a real server on loopback, so a hang must fail the run, not stall it.
if(TEST test_client_tls)
  set_tests_properties(test_client_tls PROPERTIES TIMEOUT 180 LABELS "client;network-loopback")
endif()
foreach(t test_client test_client_retry test_client_async test_client_awaitable)
  if(TEST ${t})
    set_tests_properties(${t} PROPERTIES TIMEOUT 60 LABELS "client")
  endif()
endforeach()
# use_awaitable needs C++20 coroutines; the library itself stays C++17.
if(TARGET test_client_awaitable)
  set_target_properties(test_client_awaitable PROPERTIES CXX_STANDARD 20)
  # clang 14 cannot emit coroutines instrumented by UBSan ("Cannot represent a difference across
  # sections"); ASan still applies to this test in the sanitizer stage.
  target_compile_options(test_client_awaitable PRIVATE $<$<CXX_COMPILER_ID:Clang>:-fno-sanitize=undefined>)
endif()

# The client headers compile on their own; client_core.hpp/retry.hpp and the ESA model umbrella stay
# free of Asio and Beast (only <alicloud/core/client.hpp> and <alicloud/esa/client.hpp> may pull them in).
set(_client_header_tus "")
foreach(header core/client_core core/retry core/version core/client esa/client)
  string(MAKE_C_IDENTIFIER ${header} id)
  set(tu ${CMAKE_CURRENT_BINARY_DIR}/client_headers/${id}.cpp)
  file(CONFIGURE OUTPUT ${tu} CONTENT "#include <alicloud/${header}.hpp>\n#include <alicloud/${header}.hpp>\n" @ONLY)
  list(APPEND _client_header_tus ${tu})
endforeach()
foreach(header core/client_core core/retry esa)
  string(MAKE_C_IDENTIFIER ${header} id)
  set(tu ${CMAKE_CURRENT_BINARY_DIR}/client_headers/${id}_no_asio.cpp)
  file(CONFIGURE OUTPUT ${tu} CONTENT "#include <alicloud/${header}.hpp>
#if defined(BOOST_ASIO_VERSION) || defined(BOOST_ASIO_DETAIL_CONFIG_HPP)
#error \"alicloud/${header}.hpp must not include Boost.Asio\"
#endif
#if defined(BOOST_BEAST_VERSION) || defined(BOOST_BEAST_CORE_DETAIL_CONFIG_HPP)
#error \"alicloud/${header}.hpp must not include Boost.Beast\"
#endif
" @ONLY)
  list(APPEND _client_header_tus ${tu})
endforeach()
add_library(alicloud_client_headers_check OBJECT ${_client_header_tus})
target_link_libraries(alicloud_client_headers_check PRIVATE alicloud::client alicloud_warnings)
