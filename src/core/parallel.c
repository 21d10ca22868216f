/* parallel: see include/dartboard/parallel.h */
#include "config.h"
#include "dartboard/parallel.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef HAVE_OPENBLAS
#include <cblas.h>
#endif

static int thread_count = 1;

void parallel_set_threads(int n)
{
    if (n < 1)
        n = 1;
    thread_count = n;
#ifdef _OPENMP
    omp_set_num_threads(n);
    omp_set_dynamic(0);
#endif
    parallel_set_blas_threads(1);
}

void parallel_set_blas_threads(int n)
{
#ifdef HAVE_OPENBLAS
    openblas_set_num_threads(n < 1 ? 1 : n);
#else
    (void)n;
#endif
}

int parallel_threads(void)
{
    return thread_count;
}
