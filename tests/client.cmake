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
endif()
