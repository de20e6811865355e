#ifndef CNASCCPU_H
#define CNASCCPU_H

/// Whether this processor and operating system run x86-64-v3 code (the NASCKernelsX86V3 build):
/// AVX and AVX2 with their register state enabled by the OS (XCR0), FMA, BMI1, BMI2, F16C, LZCNT,
/// MOVBE and the x86-64-v2 set (SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT, CMPXCHG16B, LAHF/SAHF). Always 0
/// on other architectures.
int nasc_cpu_has_x86_64_v3(void);

#endif
