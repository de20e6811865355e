#include "CNASCCPU.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static int has(unsigned reg, unsigned bit) { return (reg >> bit) & 1u; }

int nasc_cpu_has_x86_64_v3(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  // Leaf 1 ECX: SSE3 0, SSSE3 9, FMA 12, CMPXCHG16B 13, SSE4.1 19, SSE4.2 20, MOVBE 22, POPCNT 23,
  // OSXSAVE 27, AVX 28, F16C 29.
  const unsigned bits1[] = {0, 9, 12, 13, 19, 20, 22, 23, 27, 28, 29};
  for (unsigned i = 0; i < sizeof bits1 / sizeof bits1[0]; i++) {
    if (!has(c, bits1[i])) return 0;
  }
  // The OS saves the SSE (bit 1) and AVX (bit 2) register state: XGETBV with ECX = 0.
  unsigned xlo, xhi;
  __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
  if ((xlo & 6u) != 6u) return 0;
  // Leaf 7 subleaf 0 EBX: BMI1 3, AVX2 5, BMI2 8.
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  if (!has(b, 3) || !has(b, 5) || !has(b, 8)) return 0;
  // Leaf 0x80000001 ECX: LAHF/SAHF 0, LZCNT 5.
  if (!__get_cpuid(0x80000001u, &a, &b, &c, &d)) return 0;
  if (!has(c, 0) || !has(c, 5)) return 0;
  return 1;
}

#else

int nasc_cpu_has_x86_64_v3(void) { return 0; }

#endif
