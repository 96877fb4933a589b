# alicloud_generate(<target> SPEC <api-docs.json> [OVERLAY <overlay.json>] [OPERATIONS <op>...]
#                   [OUTPUT_DIR <dir>])
# Generates bindings for the chosen operations of any RPC-style Alibaba product at build time and
# makes <target> an INTERFACE library carrying their include directory (link it, plus alicloud::models
# or alicloud::client). Regenerates when the spec, the overlay or the generator changes.
function(alicloud_generate target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "SPEC;OVERLAY;OUTPUT_DIR" "OPERATIONS")
  if(NOT ARG_SPEC)
    message(FATAL_ERROR "alicloud_generate(${target}): SPEC is required")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/${target}-generated)
  endif()
  set(cmd $<TARGET_FILE:alicloud::alicloud-gen> --spec ${ARG_SPEC} --include-dir ${ARG_OUTPUT_DIR}/include)
  set(deps ${ARG_SPEC} alicloud::alicloud-gen)
  if(ARG_OVERLAY)
    list(APPEND cmd --overlay ${ARG_OVERLAY})
    list(APPEND deps ${ARG_OVERLAY})
  endif()
  if(ARG_OPERATIONS)
    list(JOIN ARG_OPERATIONS "," ops)
    list(APPEND cmd --operations ${ops})
  endif()
  # Configure-time run so the include directory exists before the first build; the custom
  # command keeps it current afterwards.
  file(MAKE_DIRECTORY ${ARG_OUTPUT_DIR}/include)
  add_custom_command(
    OUTPUT ${ARG_OUTPUT_DIR}/stamp
    COMMAND ${cmd}
    COMMAND ${CMAKE_COMMAND} -E touch ${ARG_OUTPUT_DIR}/stamp
    DEPENDS ${deps}
    COMMENT "alicloud-gen: ${ARG_SPEC}"
    VERBATIM)
  add_custom_target(${target}_generate DEPENDS ${ARG_OUTPUT_DIR}/stamp)
  add_library(${target} INTERFACE)
  target_include_directories(${target} INTERFACE ${ARG_OUTPUT_DIR}/include)
  add_dependencies(${target} ${target}_generate)
endfunction()
