# Compiler settings live on INTERFACE targets that every target links PRIVATE (ccache's shape),
# never in CMAKE_CXX_FLAGS, so a subproject or a benchmark cannot silently lose them.
add_library(journeyd_settings INTERFACE)
target_compile_features(journeyd_settings INTERFACE cxx_std_20)
target_include_directories(journeyd_settings INTERFACE ${PROJECT_SOURCE_DIR})
target_compile_definitions(journeyd_settings INTERFACE
  JOURNEYD_VERSION="${PROJECT_VERSION}"
  BOOST_ASIO_NO_DEPRECATED)
set(CMAKE_CXX_EXTENSIONS OFF)

add_library(journeyd_warnings INTERFACE)
target_compile_options(journeyd_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wimplicit-fallthrough)
# GCC 12 at -O3 reports "literal" + std::string&& as an overlapping memcpy (GCC bug 105329, a
# false positive inside libstdc++); it would fail every Release build under -Werror.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(journeyd_warnings INTERFACE -Wno-restrict)
endif()
if(JOURNEYD_WERROR)
  target_compile_options(journeyd_warnings INTERFACE -Werror)
endif()

if(JOURNEYD_SANITIZE)
  string(REPLACE "," ";" _sanitizers "${JOURNEYD_SANITIZE}")
  foreach(_s IN LISTS _sanitizers)
    target_compile_options(journeyd_settings INTERFACE -fsanitize=${_s})
    target_link_options(journeyd_settings INTERFACE -fsanitize=${_s})
  endforeach()
  target_compile_options(journeyd_settings INTERFACE -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
endif()
