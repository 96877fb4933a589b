# Every core model header compiles on its own (self-contained, warning-free), and the model umbrella
# pulls in nothing from the transport. Part of the default build, so a broken header fails `cmake --build`.
# Linked against alicloud::models only (not client): a model header that needed OpenSSL or Boost.URL
# would fail here.

set(ALICLOUD_CORE_HEADERS model json params validation open_enum timestamp operation error_table error result clock
  param_list)
set(_alicloud_core_header_tus "")
foreach(header IN LISTS ALICLOUD_CORE_HEADERS)
  set(tu ${CMAKE_CURRENT_BINARY_DIR}/core_headers/${header}.cpp)
  # Included twice: also proves the include guard.
  file(CONFIGURE OUTPUT ${tu} CONTENT
    "#include <alicloud/core/${header}.hpp>\n#include <alicloud/core/${header}.hpp>\n" @ONLY)
  list(APPEND _alicloud_core_header_tus ${tu})
endforeach()

file(CONFIGURE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/core_headers/model_no_transport.cpp CONTENT [[
#include <alicloud/core/model.hpp>
// Version macros plus the include guards of headers every Asio/Beast/OpenSSL header pulls in (the
// version headers themselves are not always included).
#if defined(BOOST_ASIO_VERSION) || defined(BOOST_ASIO_DETAIL_CONFIG_HPP)
#error "alicloud/core/model.hpp must not include Boost.Asio"
#endif
#if defined(BOOST_BEAST_VERSION) || defined(BOOST_BEAST_CORE_DETAIL_CONFIG_HPP)
#error "alicloud/core/model.hpp must not include Boost.Beast"
#endif
#if defined(OPENSSL_VERSION_NUMBER) || defined(OPENSSL_E_OS2_H) || defined(HEADER_E_OS2_H)
#error "alicloud/core/model.hpp must not include OpenSSL"
#endif
]] @ONLY)
list(APPEND _alicloud_core_header_tus ${CMAKE_CURRENT_BINARY_DIR}/core_headers/model_no_transport.cpp)

add_library(alicloud_core_headers_check OBJECT ${_alicloud_core_header_tus})
target_link_libraries(alicloud_core_headers_check PRIVATE alicloud::models alicloud_warnings)
