#pragma once
// The allocator settings of the programs (iotaudit and the bench tools), made once at the start of
// main. Page faults dominate short runs on virtual machines (about 10 us each on the reference VM),
// so memory is taken from the system in 2 MiB transparent huge pages and kept.
//
// With mimalloc (linked by the iotaudit_allocator CMake target): huge OS pages, committed when a
// segment is created rather than after a delay. A MIMALLOC_* variable in the environment overrides
// the setting. Without it (sanitizer builds, or no libmimalloc-dev): glibc's allocator keeps
// buffers up to 64 MiB on the heap. Decoded contents are many buffers of 64 KiB to a few MiB that
// live until the run ends; glibc maps each one above 128 KiB separately and unmaps it on free, so
// every buffer costs fresh page faults (extraction of the TL-WR841N root filesystem: 214 ms with
// the default, 186 ms kept on the heap; bench/extract_speed.md).
#include <cstdlib>

#if defined(IOTAUDIT_MIMALLOC)
#include <mimalloc.h>
#include <sys/mman.h>

#include <cstdint>
#else
#include <malloc.h>
#endif

namespace iotaudit {

inline void tune_allocator() {
#if defined(IOTAUDIT_MIMALLOC)
  if (std::getenv("MIMALLOC_LARGE_OS_PAGES") == nullptr) mi_option_enable(mi_option_large_os_pages);
  if (std::getenv("MIMALLOC_EAGER_COMMIT_DELAY") == nullptr) mi_option_set(mi_option_eager_commit_delay, 0);
  // The main thread's first segment was made before main, under the defaults; most of this
  // thread's allocations come from it. Segments are 32 MiB ranges aligned to 32 MiB.
  if (mi_option_is_enabled(mi_option_large_os_pages)) {
    constexpr std::uintptr_t kSegment = std::uintptr_t{32} << 20;
    if (void* p = mi_malloc(16)) {
      void* seg = reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(p) & ~(kSegment - 1));
      (void)::madvise(seg, kSegment, MADV_HUGEPAGE);
      // Its first 2 MiB were touched in 4 KiB pages before main: filled in one call rather than
      // a page fault each (an older kernel refuses, and nothing changes).
      (void)::madvise(seg, std::size_t{2} << 20, MADV_POPULATE_WRITE);
      mi_free(p);
    }
  }
#else
  ::mallopt(M_MMAP_THRESHOLD, 64 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

}  // namespace iotaudit
