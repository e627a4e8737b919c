/* The machine's floor for first-touching memory: maps N MiB of anonymous memory (2 MiB aligned,
 * transparent huge pages advised, as the engine's allocator does, or 4 KiB pages), writes one
 * byte per 4 KiB page and prints one JSON line: wall, system and user seconds, minor faults.
 * No tensor code runs, so its system time is what the kernel (and, in a VM, the hypervisor)
 * charges for the pages alone. Usage: first_touch MiB huge(0|1). Built and run by
 * bench/first-touch.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

static double seconds(struct timeval t) { return t.tv_sec + t.tv_usec / 1e6; }

int main(int argc, char** argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s MiB huge(0|1)\n", argv[0]); return 2; }
  const size_t huge = (size_t)2 << 20, bytes = (size_t)atol(argv[1]) << 20;
  const int advise = atoi(argv[2]);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  char* raw = mmap(NULL, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) { perror("mmap"); return 1; }
  char* p = (char*)(((uintptr_t)raw + huge - 1) / huge * huge);
  if (advise) madvise(p, bytes, MADV_HUGEPAGE);
  for (size_t i = 0; i < bytes; i += 4096) p[i] = 1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  printf("{\"bench\":\"first_touch\",\"MiB\":%zu,\"hugePages\":%d,\"seconds\":%.2f,\"sysSeconds\":%.2f,\"userSeconds\":%.2f,\"minorFaults\":%ld}\n",
         bytes >> 20, advise, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, seconds(r.ru_stime),
         seconds(r.ru_utime), r.ru_minflt);
  return 0;
}
