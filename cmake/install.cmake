# Installation layout (GNUInstallDirs) and the Debian package.
#
#   <prefix>/bin/journeyd
#   /etc/journeyd/journeyd.yaml, /etc/journeyd/examples/      (<prefix>/etc/... unless prefix is /usr)
#   <prefix>/share/journeyd/mappings/
#   /lib/systemd/system/journeyd.service                      (<prefix>/lib/systemd/system/...)
#   <prefix>/lib/sysusers.d/journeyd.conf, <prefix>/lib/tmpfiles.d/journeyd.conf
#   <prefix>/share/doc/journeyd/journeyd.env.example
#
# GNUInstallDirs turns prefix /usr into /etc when configuring, but `cmake --install --prefix DIR`
# and CPack (which installs with prefix /usr into a staging DESTDIR) change the prefix after
# that. So the two places outside the prefix, /etc and systemd's unit directory, are chosen
# when installing: for prefix /usr they are /etc and systemd's own unit directory, for any
# other prefix they stay under it. One build tree then gives both a relocatable staging
# install and a correct .deb.

install(TARGETS journeyd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Where systemd looks for vendor units (pkg-config systemd: /lib/systemd/system on Debian 12),
# and the prefix systemd itself was built for (/usr).
pkg_get_variable(_journeyd_pc_unitdir systemd systemdsystemunitdir)
pkg_get_variable(_journeyd_pc_prefix systemd prefix)
if(NOT _journeyd_pc_unitdir)
  set(_journeyd_pc_unitdir "lib/systemd/system")
endif()
if(NOT _journeyd_pc_prefix)
  set(_journeyd_pc_prefix "/usr")
endif()
if(NOT IS_ABSOLUTE "${_journeyd_pc_unitdir}")
  set(_journeyd_pc_unitdir "\${CMAKE_INSTALL_PREFIX}/${_journeyd_pc_unitdir}")
endif()
# An explicitly absolute -DCMAKE_INSTALL_SYSCONFDIR=... is obeyed for every prefix.
if(IS_ABSOLUTE "${CMAKE_INSTALL_SYSCONFDIR}")
  set(_journeyd_etc_usr "${CMAKE_INSTALL_SYSCONFDIR}")
  set(_journeyd_etc_other "${CMAKE_INSTALL_SYSCONFDIR}")
else()
  set(_journeyd_etc_usr "/etc")
  set(_journeyd_etc_other "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}")
endif()
set(_journeyd_src "${PROJECT_SOURCE_DIR}")

# Runs inside cmake_install.cmake, where CMAKE_INSTALL_PREFIX is the install-time prefix.
# file(INSTALL) honours DESTDIR and records the files in install_manifest.txt.
set(_journeyd_install_code [[
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(_journeyd_etc "@_journeyd_etc_usr@/journeyd")
  else()
    set(_journeyd_etc "@_journeyd_etc_other@/journeyd")
  endif()
  if(CMAKE_INSTALL_PREFIX STREQUAL "@_journeyd_pc_prefix@")
    set(_journeyd_unitdir "@_journeyd_pc_unitdir@")
  else()
    set(_journeyd_unitdir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  endif()
  # OPTIONAL: a tree without config/journeyd.yaml or config/examples/ yet still installs.
  file(INSTALL DESTINATION "${_journeyd_etc}" TYPE FILE OPTIONAL
       FILES "@_journeyd_src@/config/journeyd.yaml")
  file(INSTALL DESTINATION "${_journeyd_etc}" TYPE DIRECTORY OPTIONAL
       FILES "@_journeyd_src@/config/examples")
  file(INSTALL DESTINATION "${_journeyd_unitdir}" TYPE FILE
       FILES "@_journeyd_src@/systemd/journeyd.service")
]])
string(CONFIGURE "${_journeyd_install_code}" _journeyd_install_code @ONLY)
install(CODE "${_journeyd_install_code}")

install(DIRECTORY ${PROJECT_SOURCE_DIR}/mappings/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/journeyd/mappings OPTIONAL)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/journeyd.sysusers
  DESTINATION lib/sysusers.d RENAME journeyd.conf)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/journeyd.tmpfiles
  DESTINATION lib/tmpfiles.d RENAME journeyd.conf)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/journeyd.env.example
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

# --- Debian package: cd <build> && cpack -G DEB ---------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME journeyd)
set(CPACK_PACKAGE_VENDOR "journeyd")
set(CPACK_PACKAGE_CONTACT "journeyd maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "customer-data integration daemon")
set(CPACK_PACKAGE_DESCRIPTION "journeyd receives customer events from shops, payment and support
systems and forwards them to marketing and analytics services. It runs as a
sandboxed systemd service (journeyd.service); configure /etc/journeyd first.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "journeyd maintainers")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Added to what dpkg-shlibdeps finds: postinst runs systemd-sysusers and systemd-tmpfiles.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")

# CPack marks nothing as a conffile by itself (debhelper would). Every file the package has
# under /etc must be one, so that dpkg keeps local edits on upgrade: a pre-build script, run
# after CPack staged the files and before it builds the archive, lists them.
set(CPACK_JOURNEYD_CONFFILES "${PROJECT_BINARY_DIR}/cpack/conffiles")
file(WRITE "${PROJECT_BINARY_DIR}/cpack/deb_conffiles.cmake" [[
if(CPACK_GENERATOR STREQUAL "DEB")
  file(GLOB_RECURSE _files LIST_DIRECTORIES false RELATIVE "${CPACK_TEMPORARY_DIRECTORY}"
       "${CPACK_TEMPORARY_DIRECTORY}/etc/*")
  list(SORT _files)
  set(_lines "")
  foreach(_f IN LISTS _files)
    string(APPEND _lines "/${_f}\n")
  endforeach()
  file(WRITE "${CPACK_JOURNEYD_CONFFILES}" "${_lines}")
  message(STATUS "CPack: conffiles: ${_files}")
endif()
]])
if(NOT EXISTS "${CPACK_JOURNEYD_CONFFILES}")
  file(TOUCH "${CPACK_JOURNEYD_CONFFILES}")
endif()
set(CPACK_PRE_BUILD_SCRIPTS "${PROJECT_BINARY_DIR}/cpack/deb_conffiles.cmake")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${CPACK_JOURNEYD_CONFFILES}"
  "${PROJECT_SOURCE_DIR}/systemd/debian/postinst"
  "${PROJECT_SOURCE_DIR}/systemd/debian/prerm"
  "${PROJECT_SOURCE_DIR}/systemd/debian/postrm")
# Control files get Debian's permissions: maintainer scripts 0755, the rest 0644.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
