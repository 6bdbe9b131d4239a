# Build options. CI sets CI=true, which turns warnings into errors as in ccache's dev mode.
option(JOURNEYD_BUILD_TESTS "Build the test executables" ON)
option(JOURNEYD_BUILD_BENCH "Build the benchmarks in bench/" OFF)
if(DEFINED ENV{CI})
  set(_werror_default ON)
else()
  set(_werror_default OFF)
endif()
option(JOURNEYD_WERROR "Treat compiler warnings as errors" ${_werror_default})
set(JOURNEYD_SANITIZE "" CACHE STRING "Comma-separated sanitizers, e.g. address,undefined")
# jemalloc for the journeyd executable (daemon/CMakeLists.txt): intake allocates and frees a
# request's body, headers and batch on different threads, which glibc's malloc serves with
# arena locks and consolidation; jemalloc's thread caches cut intake's CPU per request by about
# a third (docs/performance.md). Sanitizer and fuzz builds keep their own allocator.
option(JOURNEYD_JEMALLOC "Link the journeyd executable with jemalloc" ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()
