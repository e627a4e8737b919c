// Tensor storage straight from the kernel: anonymous mappings aligned to 2 MiB, with transparent
// huge pages advised. The first write to a fresh buffer page-faults once per page;
// with 4 KiB pages that fault costs more than the kernels that fill the buffer (measured on a
// BERT-Base operator step: 1.6 M faults, 25 s of system time, in BENCHMARKS.md), while one
// 2 MiB page replaces 512 of them. Alignment lets every whole 2 MiB stretch of the buffer be a
// huge page; the tail past the last one keeps small pages, so nothing past `bytes` is committed.
#include <sys/mman.h>

#include <cstdint>

#include "kernels.h"

namespace ligo {

namespace {
constexpr size_t kHugePage = size_t(2) << 20;
constexpr size_t kPage = 4096;
size_t roundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }
size_t mappedLength(size_t bytes) { return roundUp(bytes == 0 ? 1 : bytes, kPage); }
}  // namespace

void* mapPages(size_t bytes) {
  const size_t len = mappedLength(bytes);
  const size_t span = len + kHugePage;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = roundUp(start, kHugePage);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + span;
  if (end > aligned + len) munmap(reinterpret_cast<void*>(aligned + len), end - (aligned + len));
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, len, MADV_HUGEPAGE);  // advice only: a kernel without THP ignores it
  return p;
}

void unmapPages(void* p, size_t bytes) { munmap(p, mappedLength(bytes)); }

}  // namespace ligo
