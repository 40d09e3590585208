#ifndef DAFL_CCPUID_H
#define DAFL_CCPUID_H
/* The processor's own report of what it supports: CPUID and XGETBV, which Swift cannot issue.
   On other architectures every query answers zero. */

/// Runs CPUID for `leaf`/`subleaf` into regs = {eax, ebx, ecx, edx}; returns 0 when the leaf is beyond
/// the processor's range (regs are then zero).
int dafl_cpuid(unsigned int leaf, unsigned int subleaf, unsigned int regs[4]);

/// XCR0, the register-state components the operating system saves (AVX needs bits 1-2, AVX-512 bits 5-7);
/// 0 when the OS has not enabled XSAVE.
unsigned long long dafl_xcr0(void);

#endif
