# Installation layout (GNUInstallDirs) and the Debian package.
#
#   <prefix>/bin/journeyd
#   /etc/journeyd/journeyd.yaml, /etc/journeyd/examples/      (<prefix>/etc/... unless prefix is /usr)
#   <prefix>/share/journeyd/mappings/
#   /lib/systemd/system/journeyd.service                      (<prefix>/lib/systemd/system/...)
#   <prefix>/lib/sysusers.d/journeyd.conf, <prefix>/lib/tmpfiles.d/journeyd.conf
#   <prefix>/share/doc/journeyd/journeyd.env.example
#
# GNUInstallDirs maps prefix /usr to /etc when configuring, but `cmake --install --prefix DIR`
# and CPack (which installs with prefix /usr into a staging DESTDIR) change the prefix after
# that. So the two places outside the prefix, /etc and systemd's unit directory, are chosen
# when installing: for prefix /usr they are /etc and systemd's own unit directory, for any
# other prefix they stay under it. One build tree then gives both a relocatable staging
# install and a correct .deb.

install(TARGETS journeyd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Where systemd looks for vendor units (pkg-config systemd, "/lib/systemd/system" on Debian 12).
pkg_get_variable(_journeyd_pc_unitdir systemd systemdsystemunitdir)
pkg_get_variable(_journeyd_pc_prefix systemd prefix)
if(NOT _journeyd_pc_unitdir)
  set(_journeyd_pc_unitdir "lib/systemd/system")
endif()
if(NOT _journeyd_pc_prefix)
  set(_journeyd_pc_prefix "/usr")
endif()
# An explicitly absolute CMAKE_INSTALL_SYSCONFDIR (-DCMAKE_INSTALL_SYSCONFDIR=/etc) is obeyed.
if(IS_ABSOLUTE "${CMAKE_INSTALL_SYSCONFDIR}")
  set(_journeyd_etc_other "${CMAKE_INSTALL_SYSCONFDIR}")
  set(_journeyd_etc_usr "${CMAKE_INSTALL_SYSCONFDIR}")
else()
  set(_journeyd_etc_other "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}")
  set(_journeyd_etc_usr "/etc")
endif()
if(IS_ABSOLUTE "${_journeyd_pc_unitdir}")
  set(_journeyd_unit_usr "${_journeyd_pc_unitdir}")
else()
  set(_journeyd_unit_usr "\${CMAKE_INSTALL_PREFIX}/${_journeyd_pc_unitdir}")
endif()

install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\" OR CMAKE_INSTALL_PREFIX STREQUAL \"${_journeyd_pc_prefix}\")
    set(_journeyd_etc \"${_journeyd_etc_usr}/journeyd\")
    set(_journeyd_unitdir \"${_journeyd_unit_usr}\")
  else()
    set(_journeyd_etc \"${_journeyd_etc_other}/journeyd\")
    set(_journeyd_unitdir \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  endif()
  # Config files: OPTIONAL, so a tree without config/journeyd.yaml yet still installs.
  file(INSTALL DESTINATION \"\${_journeyd_etc}\" TYPE FILE OPTIONAL
       FILES \"${PROJECT_SOURCE_DIR}/config/journeyd.yaml\")
  file(INSTALL DESTINATION \"\${_journeyd_etc}\" TYPE DIRECTORY OPTIONAL
       FILES \"${PROJECT_SOURCE_DIR}/config/examples\")
  file(INSTALL DESTINATION \"\${_journeyd_unitdir}\" TYPE FILE
       FILES \"${PROJECT_SOURCE_DIR}/systemd/journeyd.service\")
")

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
set(CPACK_PACKAGE_DESCRIPTION
  "journeyd receives customer events from shops, payment and support systems, maps them\n\
and forwards them to marketing and analytics services. Runs as a sandboxed systemd service.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "journeyd maintainers")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# postinst runs systemd-sysusers and systemd-tmpfiles.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
# CPack marks nothing as a conffile by itself. Every file the package has under /etc must be
# one, so that dpkg keeps local edits: a pre-build script (run after CPack staged the files,
# before it builds the archive) lists them into the conffiles control file.
set(CPACK_JOURNEYD_CONFFILES "${PROJECT_BINARY_DIR}/cpack/conffiles")
file(WRITE "${PROJECT_BINARY_DIR}/cpack/deb_conffiles.cmake" [[
if(CPACK_GENERATOR STREQUAL "DEB")
  file(GLOB_RECURSE _files LIST_DIRECTORIES false RELATIVE "${CPACK_TEMPORARY_DIRECTORY}"
       "${CPACK_TEMPORARY_DIRECTORY}/etc/*")
  list(SORT _files)
  list(TRANSFORM _files PREPEND "/")
  list(JOIN _files "\n" _lines)
  if(_lines)
    string(APPEND _lines "\n")
  endif()
  file(WRITE "${CPACK_JOURNEYD_CONFFILES}" "${_lines}")
  message(STATUS "conffiles: ${_files}")
endif()
]])
if(NOT EXISTS "${CPACK_JOURNEYD_CONFFILES}")
  file(TOUCH "${CPACK_JOURNEYD_CONFFILES}")
endif()
set(CPACK_PRE_BUILD_SCRIPTS "${PROJECT_BINARY_DIR}/cpack/deb_conffiles.cmake")
# Control files get Debian's permissions: maintainer scripts 0755, the rest 0644.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${CPACK_JOURNEYD_CONFFILES}"
  "${PROJECT_SOURCE_DIR}/systemd/debian/postinst"
  "${PROJECT_SOURCE_DIR}/systemd/debian/prerm"
  "${PROJECT_SOURCE_DIR}/systemd/debian/postrm")
include(CPack)
