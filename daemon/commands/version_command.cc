#include <sqlite3.h>

#include <iostream>

#include <boost/version.hpp>
#include <openssl/opensslv.h>
#include <yaml-cpp/yaml.h>

#include "daemon/commands/commands.h"

namespace journeyd::commands {

int Version() {
  std::cout << "journeyd " << JOURNEYD_VERSION << "\n"
            << "built " << __DATE__ << " " << __TIME__ << " with "
#if defined(__clang__)
            << "clang " << __clang_major__ << "." << __clang_minor__
#else
            << "gcc " << __GNUC__ << "." << __GNUC_MINOR__
#endif
            << ", C++ " << __cplusplus << "\n"
            << "boost " << BOOST_VERSION / 100000 << "." << BOOST_VERSION / 100 % 1000 << "."
            << BOOST_VERSION % 100 << ", sqlite " << sqlite3_libversion() << ", "
            << OPENSSL_VERSION_TEXT << "\n";
  return 0;
}

}  // namespace journeyd::commands
