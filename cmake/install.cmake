# Installation layout (GNUInstallDirs) and the Debian package.
install(TARGETS journeyd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
