#include "engine/base/thread_name.h"

#include <pthread.h>

#include <string>

namespace journeyd {

void NameCurrentThread(std::string_view name) {
#if defined(__linux__)
  (void)pthread_setname_np(pthread_self(), std::string(name.substr(0, 15)).c_str());
#endif
}

}  // namespace journeyd
