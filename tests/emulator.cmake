# esa-emulator tests run the emulator in-process (headers in tools/esa-emulator) and talk to it over
# loopback; test_emulator_cli also starts the built binary.
file(GLOB ALICLOUD_EMULATOR_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_emulator*.cpp)
foreach(src IN LISTS ALICLOUD_EMULATOR_TESTS)
  get_filename_component(name ${src} NAME_WE)
  if(TARGET ${name})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tools/esa-emulator)
    set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS "emulator;network-loopback")
  endif()
endforeach()

if(TARGET test_emulator_cli AND ALICLOUD_BUILD_TOOLS AND EXISTS ${PROJECT_SOURCE_DIR}/tools/esa-emulator/CMakeLists.txt)
  # Resolved at generate time, after tools/ has defined the target.
  target_compile_definitions(test_emulator_cli PRIVATE ESA_EMULATOR_BINARY="$<TARGET_FILE:esa-emulator>")
  add_dependencies(test_emulator_cli esa-emulator)
endif()
