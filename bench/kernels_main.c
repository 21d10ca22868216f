/* bench/kernels: runs bench_kernels() alone, for kernel work before the
 * dartboard binary grows `bench --kernels`. Usage: bench/kernels [THREADS] */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "dartboard/bench_kernels.h"

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (argc > 2 || threads < 1) {
        fprintf(stderr, "usage: %s [THREADS >= 1]\n", argv[0]);
        return 2;
    }
    return bench_kernels(stdout, threads) == 0 ? 0 : 1;
}
