# Every dependency comes from a Debian 12 package that scripts/bootstrap installs.
find_package(Boost 1.81.0 EXACT CONFIG REQUIRED COMPONENTS json url)
find_package(yaml-cpp REQUIRED)
find_package(SQLite3 REQUIRED)
# libpq only (PostgreSQL::PostgreSQL); the server headers are not needed.
find_package(PostgreSQL REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
find_package(simdjson CONFIG REQUIRED)
if(JOURNEYD_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
endif()
if(JOURNEYD_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# libphonenumber: the library is Debian's runtime package (libphonenumber8); the headers come
# from libphonenumber-dev unpacked into .deps/ by scripts/bootstrap, because that package depends
# on Boost 1.74, which conflicts with Boost 1.81. A system-wide libphonenumber-dev works too.
find_path(JOURNEYD_PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h
  HINTS "${PROJECT_SOURCE_DIR}/.deps/libphonenumber/usr/include")
# The runtime by its SONAME: the unpacked libphonenumber.so symlink points at a file that only
# exists under /usr/lib.
find_library(JOURNEYD_PHONENUMBER_LIBRARY NAMES libphonenumber.so.8 phonenumber)
if(NOT JOURNEYD_PHONENUMBER_INCLUDE_DIR OR NOT JOURNEYD_PHONENUMBER_LIBRARY)
  message(FATAL_ERROR "libphonenumber not found (headers: ${JOURNEYD_PHONENUMBER_INCLUDE_DIR}, "
    "library: ${JOURNEYD_PHONENUMBER_LIBRARY}): run scripts/bootstrap")
endif()
# The headers inline protobuf-generated code (PhoneNumber) and include Abseil containers.
pkg_check_modules(PROTOBUF REQUIRED IMPORTED_TARGET protobuf)
find_package(absl CONFIG REQUIRED)
add_library(journeyd::phonenumber SHARED IMPORTED)
set_target_properties(journeyd::phonenumber PROPERTIES
  IMPORTED_LOCATION "${JOURNEYD_PHONENUMBER_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${JOURNEYD_PHONENUMBER_INCLUDE_DIR}"
  # Debian builds the library without Boost and without std::mutex, so its Singleton and Lock
  # are the pthread ones (the .so exports Singleton<PhoneNumberUtil>::once_control_); the headers
  # must pick the same, or GetInstance() would build a second instance on our side.
  INTERFACE_COMPILE_DEFINITIONS "I18N_PHONENUMBERS_HAVE_POSIX_THREAD"
  INTERFACE_LINK_LIBRARIES "PkgConfig::PROTOBUF;absl::node_hash_set;absl::node_hash_map;Threads::Threads")
