#pragma once
// The library version, as in the top-level CMakeLists.txt project() (a test keeps the two equal).

#include <string_view>

#define ALICLOUD_VERSION_MAJOR 0
#define ALICLOUD_VERSION_MINOR 1
#define ALICLOUD_VERSION_PATCH 0

namespace alicloud {

inline constexpr std::string_view version_string{"0.1.0"};

}  // namespace alicloud
