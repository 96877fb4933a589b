# Header-only library (plus the optional generator tool): release build only.
set(VCPKG_BUILD_TYPE release)

vcpkg_from_github(
  OUT_SOURCE_PATH SOURCE_PATH
  REPO alicloud-cpp/alicloud-cpp
  REF "v${VERSION}"
  SHA512 0
  HEAD_REF main)

vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    client ALICLOUD_WITH_CLIENT
    generator ALICLOUD_BUILD_GENERATOR)

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS ${FEATURE_OPTIONS}
    -DALICLOUD_BUILD_TESTS=OFF
    -DALICLOUD_BUILD_BENCH=OFF
    -DALICLOUD_BUILD_TOOLS=OFF)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME alicloud-cpp CONFIG_PATH share/alicloud-cpp)
if("generator" IN_LIST FEATURES)
  vcpkg_copy_tools(TOOL_NAMES alicloud-gen AUTO_CLEAN)
endif()
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/lib")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
