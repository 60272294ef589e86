# find_package(hellotrace) for plugins outside the tree, and `cpack -G DEB`.
# Installed layout (relative to the prefix; the program finds the rest from its own path):
#   bin/hellotrace
#   lib/hellotrace/plugins/hellotrace-*.so
#   lib/cmake/hellotrace/   hellotraceConfig.cmake, -ConfigVersion, -Targets, HellotracePlugin.cmake
#   include/hellotrace/     the plugin SDK
#   share/hellotrace/{rules,messages}/
#   share/man/man1/hellotrace.1, share/bash-completion/completions/hellotrace,
#   share/zsh/vendor-completions/_hellotrace

include(CMakePackageConfigHelpers)
set(HELLOTRACE_INSTALL_CMAKE_DIR lib/cmake/hellotrace)
set(HELLOTRACE_INSTALL_PLUGIN_DIR lib/hellotrace/plugins)

# The plugin ABI of the installed headers, for the config's hellotrace_PLUGIN_API_VERSION.
file(STRINGS "${CMAKE_SOURCE_DIR}/include/hellotrace/plugin_api.h" api_lines
     REGEX "^#define HT_PLUGIN_API_VERSION_(MAJOR|MINOR|PATCH) [0-9]+")
set(HELLOTRACE_PLUGIN_API_VERSION "")
foreach(part MAJOR MINOR PATCH)
  string(REGEX MATCH "HT_PLUGIN_API_VERSION_${part} ([0-9]+)" _ "${api_lines}")
  list(APPEND HELLOTRACE_PLUGIN_API_VERSION "${CMAKE_MATCH_1}")
endforeach()
list(JOIN HELLOTRACE_PLUGIN_API_VERSION "." HELLOTRACE_PLUGIN_API_VERSION)

install(TARGETS hellotrace_sdk EXPORT hellotraceTargets)
install(EXPORT hellotraceTargets NAMESPACE hellotrace:: DESTINATION ${HELLOTRACE_INSTALL_CMAKE_DIR})
configure_package_config_file(cmake/hellotraceConfig.cmake.in
  "${CMAKE_BINARY_DIR}/cmake/hellotraceConfig.cmake"
  INSTALL_DESTINATION ${HELLOTRACE_INSTALL_CMAKE_DIR}
  PATH_VARS HELLOTRACE_INSTALL_PLUGIN_DIR)
# 0.x: a new minor version may change the SDK; the plugin ABI is checked at load time anyway.
write_basic_package_version_file("${CMAKE_BINARY_DIR}/cmake/hellotraceConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/cmake/hellotraceConfig.cmake"
              "${CMAKE_BINARY_DIR}/cmake/hellotraceConfigVersion.cmake"
              "${CMAKE_SOURCE_DIR}/cmake/HellotracePlugin.cmake"
        DESTINATION ${HELLOTRACE_INSTALL_CMAKE_DIR})

# The .deb: `cpack -G DEB` in the build folder (scripts/package). Its run-time dependencies
# are computed by dpkg-shlibdeps from what bin/hellotrace and the plugins link, so they
# follow the build machine's Debian release (12: libre2-9, libfmt9, libtss2-esys-3.0.2-0, …).
# The SDK part (headers, CMake config) needs nlohmann-json3-dev and a compiler only for
# building plugins: suggested, not required.
set(CPACK_PACKAGE_NAME hellotrace)
set(CPACK_PACKAGE_VENDOR "hellotrace")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Windows Hello for Business (hybrid key trust) enrollment analyzer")
set(CPACK_PACKAGE_DESCRIPTION
    "Reads exported Windows event logs, dsregcmd, Entra Connect, msDS-KeyCredentialLink, TPM and
policy exports, tells each user's enrollment story and reports the blockers with evidence and
the fix. Includes the plugin SDK (headers, CMake package config) for plugins built elsewhere.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "hellotrace developers <hellotrace@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nlohmann-json3-dev (>= 3.10), cmake (>= 3.22), g++ (>= 4:12)")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_GENERATOR DEB)
include(CPack)
