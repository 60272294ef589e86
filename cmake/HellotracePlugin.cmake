# hellotrace_add_plugin(): how every hellotrace plugin is built, in this tree and outside it.
# The source tree includes this file (cmake/Hellotrace.cmake); `cmake --install` puts it in
# lib/cmake/hellotrace/, where find_package(hellotrace) loads it (hellotraceConfig.cmake).
# One definition, so a plugin built against an installed hellotrace is the same kind of
# file as the ones that ship with it.
#
# hellotrace_add_plugin(IDENT ident NAME name SOURCES ... [LIBS ...])
# IDENT is the C identifier of the plugin table (HT_DEFINE_PLUGIN(ident, ...) in the sources),
# NAME the plugin's name. Builds it twice from one static library:
#  - ht_plugin_<ident>: static, for in-process tests (plugin_testing.hpp, ht_plugin_<ident>());
#  - hellotrace-<name>.so: the loadable module; it exports only hellotrace_plugin_entry
#    (HT_EXPORT_PLUGIN), and the ABI version it was compiled against is in its table
#    (plugin_api.h's HT_PLUGIN_API_VERSION_*), checked by the host at load time.
# The module lands in HELLOTRACE_PLUGIN_OUTPUT_DIR (default: <build>/plugins) and installs to
# lib/hellotrace/plugins, where an installed hellotrace looks (relative to its own prefix).
# Both link hellotrace::sdk (the SDK headers, C++20, nlohmann_json).

if(NOT DEFINED HELLOTRACE_PLUGIN_OUTPUT_DIR)
  set(HELLOTRACE_PLUGIN_OUTPUT_DIR "${CMAKE_BINARY_DIR}/plugins")
endif()

function(hellotrace_add_plugin)
  cmake_parse_arguments(P "" "IDENT;NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT P_IDENT OR NOT P_NAME OR NOT P_SOURCES)
    message(FATAL_ERROR "hellotrace_add_plugin needs IDENT, NAME and SOURCES")
  endif()
  if(NOT P_IDENT MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "hellotrace_add_plugin: IDENT '${P_IDENT}' is not a C identifier")
  endif()
  add_library(ht_plugin_${P_IDENT} STATIC ${P_SOURCES})
  target_link_libraries(ht_plugin_${P_IDENT} PUBLIC hellotrace::sdk ${P_LIBS})
  set(entry "${CMAKE_CURRENT_BINARY_DIR}/ht_plugin_${P_IDENT}_entry.cpp")
  file(WRITE "${entry}.in"
       "// Generated: exports the plugin table.\n#include <hellotrace/plugin_sdk.hpp>\nHT_EXPORT_PLUGIN(${P_IDENT})\n")
  configure_file("${entry}.in" "${entry}" COPYONLY)
  add_library(hellotrace_plugin_${P_IDENT} MODULE "${entry}")
  target_link_libraries(hellotrace_plugin_${P_IDENT} PRIVATE ht_plugin_${P_IDENT})
  # Everything but the entry stays inside the module: static libraries linked in are not
  # re-exported, and an unresolved symbol fails the link, not the load.
  target_link_options(hellotrace_plugin_${P_IDENT} PRIVATE -Wl,--no-undefined -Wl,--exclude-libs,ALL)
  foreach(t ht_plugin_${P_IDENT} hellotrace_plugin_${P_IDENT})
    set_target_properties(${t} PROPERTIES POSITION_INDEPENDENT_CODE ON
      CXX_VISIBILITY_PRESET hidden C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  endforeach()
  set_target_properties(hellotrace_plugin_${P_IDENT} PROPERTIES
    PREFIX "" SUFFIX ".so" OUTPUT_NAME "hellotrace-${P_NAME}"
    LIBRARY_OUTPUT_DIRECTORY "${HELLOTRACE_PLUGIN_OUTPUT_DIR}")
  install(TARGETS hellotrace_plugin_${P_IDENT} LIBRARY DESTINATION lib/hellotrace/plugins)
  set_property(GLOBAL APPEND PROPERTY HELLOTRACE_PLUGINS hellotrace_plugin_${P_IDENT})
endfunction()
