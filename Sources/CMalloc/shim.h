#include <malloc.h>
/* Keep freed multi-MB buffers in the heap instead of returning them to the kernel, so reusing
   them costs no page faults or kernel zeroing. glibc only; a no-op elsewhere. */
static inline void dafl_keep_large_buffers(void) {
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
#endif
}
