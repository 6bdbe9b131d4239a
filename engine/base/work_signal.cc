#include "engine/base/work_signal.h"

namespace journeyd {

void WorkSignal::Notify() const {
  std::lock_guard lock(mu_);
  for (const auto& [owner, wake] : listeners_) wake();
}

void WorkSignal::Subscribe(const void* owner, Wake wake) {
  std::lock_guard lock(mu_);
  std::erase_if(listeners_, [owner](const auto& listener) { return listener.first == owner; });
  listeners_.emplace_back(owner, std::move(wake));
}

void WorkSignal::Unsubscribe(const void* owner) {
  std::lock_guard lock(mu_);
  std::erase_if(listeners_, [owner](const auto& listener) { return listener.first == owner; });
}

}  // namespace journeyd
