#include <cblas.h>
/* OpenBLAS extension: thread count control (declared in OpenBLAS's cblas.h). */
static inline void dafl_blas_set_threads(int n) { openblas_set_num_threads(n); }
