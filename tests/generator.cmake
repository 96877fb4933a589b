# Generator tests: golden output on a fixture spec, freshness of the committed ESA headers and docs,
# CLI error handling, standalone compilation of every committed generated header, and the
# whole-product build of Alibaba's full ESA metadata.
if(NOT TARGET alicloud-gen)
  return()
endif()

set(ALICLOUD_SPEC_DIR ${PROJECT_SOURCE_DIR}/spec/esa/2024-09-10)
set(ALICLOUD_GOLDEN_DIR ${CMAKE_CURRENT_SOURCE_DIR}/golden)

# Regenerated on every spec or generator change (the freshness test compares this with the tree).
set(fresh ${PROJECT_BINARY_DIR}/fresh)
add_custom_command(
  OUTPUT ${fresh}/stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${fresh}/include ${fresh}/docs
  COMMAND alicloud-gen --spec ${ALICLOUD_SPEC_DIR}/api-docs.json --overlay ${ALICLOUD_SPEC_DIR}/overlay.json
          --include-dir ${fresh}/include --docs-dir ${fresh}/docs
  COMMAND ${CMAKE_COMMAND} -E touch ${fresh}/stamp
  DEPENDS alicloud-gen ${ALICLOUD_SPEC_DIR}/api-docs.json ${ALICLOUD_SPEC_DIR}/overlay.json
  COMMENT "Regenerating ESA bindings into the build tree"
  VERBATIM)
set(golden ${PROJECT_BINARY_DIR}/golden-out)
add_custom_command(
  OUTPUT ${golden}.stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${golden}/include ${golden}/docs
  COMMAND alicloud-gen --spec ${ALICLOUD_GOLDEN_DIR}/fixture/api-docs.json --overlay ${ALICLOUD_GOLDEN_DIR}/fixture/overlay.json
          --include-dir ${golden}/include --docs-dir ${golden}/docs
  COMMAND ${CMAKE_COMMAND} -E touch ${golden}.stamp
  DEPENDS alicloud-gen ${ALICLOUD_GOLDEN_DIR}/fixture/api-docs.json ${ALICLOUD_GOLDEN_DIR}/fixture/overlay.json
  COMMENT "Generating the golden fixture"
  VERBATIM)
add_custom_target(alicloud_generate ALL DEPENDS ${fresh}/stamp ${golden}.stamp)

# Writes the regenerated ESA output over the committed copy (what scripts/regenerate.sh runs).
add_custom_target(regenerate
  COMMAND alicloud-gen --spec ${ALICLOUD_SPEC_DIR}/api-docs.json --overlay ${ALICLOUD_SPEC_DIR}/overlay.json
          --include-dir ${PROJECT_SOURCE_DIR}/include --docs-dir ${PROJECT_SOURCE_DIR}/docs
  COMMAND alicloud-gen --spec ${ALICLOUD_GOLDEN_DIR}/fixture/api-docs.json --overlay ${ALICLOUD_GOLDEN_DIR}/fixture/overlay.json
          --include-dir ${ALICLOUD_GOLDEN_DIR}/expected/include --docs-dir ${ALICLOUD_GOLDEN_DIR}/expected/docs
  DEPENDS alicloud-gen
  VERBATIM)

add_test(NAME generator_freshness_headers COMMAND ${CMAKE_COMMAND} -DACTUAL=${fresh}/include/alicloud/esa
         -DEXPECTED=${PROJECT_SOURCE_DIR}/include/alicloud/esa -P ${PROJECT_SOURCE_DIR}/cmake/compare_trees.cmake)
add_test(NAME generator_freshness_umbrella COMMAND ${CMAKE_COMMAND} -E compare_files ${fresh}/include/alicloud/esa.hpp
         ${PROJECT_SOURCE_DIR}/include/alicloud/esa.hpp)
add_test(NAME generator_freshness_docs COMMAND ${CMAKE_COMMAND} -DACTUAL=${fresh}/docs/api/esa
         -DEXPECTED=${PROJECT_SOURCE_DIR}/docs/api/esa -P ${PROJECT_SOURCE_DIR}/cmake/compare_trees.cmake)
add_test(NAME generator_golden COMMAND ${CMAKE_COMMAND} -DACTUAL=${golden}
         -DEXPECTED=${ALICLOUD_GOLDEN_DIR}/expected -P ${PROJECT_SOURCE_DIR}/cmake/compare_trees.cmake)

# CLI behaviour on bad input (runs the real binary).
add_executable(test_generator_cli ${CMAKE_CURRENT_SOURCE_DIR}/generator/test_generator_cli.cpp)
target_link_libraries(test_generator_cli PRIVATE alicloud_test_main doctest::doctest alicloud_warnings)
target_compile_definitions(test_generator_cli PRIVATE ALICLOUD_GEN="$<TARGET_FILE:alicloud-gen>"
  ALICLOUD_SOURCE_DIR="${PROJECT_SOURCE_DIR}" ALICLOUD_VENDOR_SPEC="${ALICLOUD_VENDOR_SPEC}")
add_dependencies(test_generator_cli alicloud-gen)
add_test(NAME test_generator_cli COMMAND test_generator_cli)

# Behaviour of the generated fixture code (renames, split structs, recursion, styles, rules).
add_executable(test_fixture_models ${CMAKE_CURRENT_SOURCE_DIR}/generator/test_fixture_models.cpp)
target_include_directories(test_fixture_models PRIVATE ${ALICLOUD_GOLDEN_DIR}/expected/include)
target_link_libraries(test_fixture_models PRIVATE alicloud::models alicloud_test_main doctest::doctest alicloud_warnings)
add_test(NAME test_fixture_models COMMAND test_fixture_models)

# Every committed generated header compiles on its own (one TU each, no precompiled header).
file(GLOB committed_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/alicloud/esa/*.hpp
     ${ALICLOUD_GOLDEN_DIR}/expected/include/alicloud/demo/*.hpp)
list(APPEND committed_headers ${PROJECT_SOURCE_DIR}/include/alicloud/esa.hpp)
set(standalone_sources)
foreach(h IN LISTS committed_headers)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${h})
  string(MAKE_C_IDENTIFIER ${rel} id)
  set(tu ${PROJECT_BINARY_DIR}/standalone/${id}.cpp)
  file(CONFIGURE OUTPUT ${tu} CONTENT "#include \"${h}\"\n#include \"${h}\"  // include guard works\n")
  list(APPEND standalone_sources ${tu})
endforeach()
add_library(generated_headers_standalone OBJECT ${standalone_sources})
target_include_directories(generated_headers_standalone PRIVATE ${ALICLOUD_GOLDEN_DIR}/expected/include)
target_link_libraries(generated_headers_standalone PRIVATE alicloud::models alicloud_warnings)

# Whole product: Alibaba's full ESA metadata (353 operations) generated into the build tree, every
# operation's codecs and validator instantiated in its own TU. Skipped when the file is absent.
if(EXISTS ${ALICLOUD_VENDOR_SPEC})
  set(vendor ${PROJECT_BINARY_DIR}/vendor-esa)
  # The generator numbers selftest TUs by operation (sorted), so only the count is needed here.
  file(READ ${ALICLOUD_VENDOR_SPEC} vendor_json)
  string(JSON apis_len LENGTH "${vendor_json}" apis)
  math(EXPR last "${apis_len} - 1")
  set(vendor_headers)
  foreach(i RANGE ${last})
    string(LENGTH "000${i}" len)
    math(EXPR from "${len} - 4")
    string(SUBSTRING "000${i}" ${from} 4 num)
    list(APPEND vendor_headers ${vendor}/selftest/header_${num}.cpp)
  endforeach()
  set(vendor_codecs)
  foreach(g RANGE 15)
    string(LENGTH "0${g}" len)
    math(EXPR from "${len} - 2")
    string(SUBSTRING "0${g}" ${from} 2 num)
    list(APPEND vendor_codecs ${vendor}/selftest/codec_${num}.cpp)
  endforeach()
  set(vendor_sources ${vendor_headers} ${vendor_codecs})
  add_custom_command(
    OUTPUT ${vendor}/stamp ${vendor_sources}
    COMMAND alicloud-gen --spec ${ALICLOUD_VENDOR_SPEC} --overlay ${ALICLOUD_SPEC_DIR}/overlay.json
            --include-dir ${vendor}/include --docs-dir ${vendor}/docs --selftest-dir ${vendor}/selftest
    COMMAND ${CMAKE_COMMAND} -E touch ${vendor}/stamp
    DEPENDS alicloud-gen ${ALICLOUD_VENDOR_SPEC} ${ALICLOUD_SPEC_DIR}/overlay.json
    COMMENT "Generating all operations of Alibaba's ESA metadata"
    VERBATIM)
  add_custom_target(vendor_esa_generate DEPENDS ${vendor}/stamp)
  # Debug info is useless here and costs as much as the compilation itself.
  foreach(kind headers codecs)
    add_library(vendor_esa_${kind} OBJECT ${vendor_${kind}})
    add_dependencies(vendor_esa_${kind} vendor_esa_generate)
    target_include_directories(vendor_esa_${kind} PRIVATE ${vendor}/include)
    target_link_libraries(vendor_esa_${kind} PRIVATE alicloud::models alicloud_warnings)
    target_compile_options(vendor_esa_${kind} PRIVATE -g0 -O0)
  endforeach()
  # Core headers are stable and checked standalone elsewhere; a PCH of them keeps 353 TUs affordable.
  target_precompile_headers(vendor_esa_headers PRIVATE <alicloud/core/model.hpp>)
  message(STATUS "alicloud: whole-product test over ${apis_len} ESA operations from ${ALICLOUD_VENDOR_SPEC}")
else()
  message(STATUS "alicloud: ${ALICLOUD_VENDOR_SPEC} not found; whole-product test skipped")
endif()
