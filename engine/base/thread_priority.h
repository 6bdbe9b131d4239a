// Background threads (the pipeline stages, delivery workers) yield the CPU to the threads that
// answer webhooks: an acknowledgement is what a vendor waits for, while the pipeline works from
// the durable inbox and catches up when the burst is over.
#pragma once

namespace journeyd {

// Raises the calling thread's nice value to kBackgroundNice (Linux threads have their own). Never
// fails the caller: without the permission (never needed to lower one's own priority) or on
// another OS it leaves the priority as it is.
inline constexpr int kBackgroundNice = 10;
void LowerCurrentThreadPriority();

}  // namespace journeyd
