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
