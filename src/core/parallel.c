/* parallel: see include/dartboard/parallel.h */
#define _GNU_SOURCE /* cpu_set_t, sched_setaffinity */
#include "config.h"
#include "dartboard/parallel.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#ifdef HAVE_OPENBLAS
#include <cblas.h>
#endif

static int thread_count = 1;

void parallel_set_threads(int n)
{
    if (n < 1)
        n = 1;
    thread_count = n;
    parallel_widen_affinity();
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

void parallel_widen_affinity(void)
{
#ifdef _OPENMP
    if (omp_get_proc_bind() == omp_proc_bind_false)
        return;
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int p = 0; p < omp_get_num_places(); p++) {
        int n = omp_get_place_num_procs(p);
        int ids[CPU_SETSIZE];
        if (n <= 0 || n > CPU_SETSIZE)
            continue;
        omp_get_place_proc_ids(p, ids);
        for (int i = 0; i < n; i++)
            if (ids[i] >= 0 && ids[i] < CPU_SETSIZE)
                CPU_SET(ids[i], &all);
    }
    if (CPU_COUNT(&all) > 0) /* on failure the thread keeps its CPUs */
        sched_setaffinity(0, sizeof all, &all);
#endif
}

int parallel_cpus(void)
{
    cpu_set_t mine;
    if (sched_getaffinity(0, sizeof mine, &mine) != 0)
        return 0;
    return CPU_COUNT(&mine);
}

int parallel_cpu_shortage(int threads, char *msg, size_t len)
{
    const int cpus = parallel_cpus();
    if (cpus <= 0 || cpus >= threads)
        return 0;
    snprintf(msg, len,
             "%d threads share %d CPU%s: the process is bound (under mpirun: --bind-to none)",
             threads, cpus, cpus == 1 ? "" : "s");
    return 1;
}

int parallel_threads(void)
{
    return thread_count;
}

const char *parallel_blas_core(void)
{
#ifdef HAVE_OPENBLAS
    const char *name = openblas_get_corename();
    return name ? name : "unknown";
#else
    return "not OpenBLAS";
#endif
}

static int name_in(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcasecmp(name, *list) == 0)
            return 1;
    return 0;
}

#if defined(HAVE_OPENBLAS) && (defined(__x86_64__) || defined(__i386__))
/* OpenBLAS's kernel sets that use AVX-512. */
static const char *const avx512_cores[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};

/* The vector units OpenBLAS's SkylakeX and Haswell kernels need. */
static int cpu_runs_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

static int cpu_runs_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

const char *parallel_blas_core_wanted(void)
{
#if defined(HAVE_OPENBLAS) && (defined(__x86_64__) || defined(__i386__))
    /* The cores whose kernels already use the vector units we would ask for:
     * avx512_cores, or for AVX2 these. */
    static const char *const avx2_cores[] = {"Haswell",        "Zen", "SkylakeX", "Cooperlake",
                                             "SapphireRapids", NULL};
    const char *core = parallel_blas_core();
    if (cpu_runs_avx512())
        return name_in(core, avx512_cores) ? NULL : "SkylakeX";
    if (cpu_runs_avx2())
        return name_in(core, avx2_cores) ? NULL : "Haswell";
#endif
    return NULL;
}

const char *parallel_blas_core_unfit(const char *name)
{
#if defined(HAVE_OPENBLAS) && (defined(__x86_64__) || defined(__i386__))
    static const char *const avx2_cores[] = {"Haswell", "Zen", "Excavator", NULL};
    static const char *const avx_cores[] = {"Sandybridge", "Bulldozer", "Piledriver", "Steamroller",
                                            NULL};
    if (name_in(name, avx512_cores) && !cpu_runs_avx512())
        return "AVX-512";
    if (name_in(name, avx2_cores) && !cpu_runs_avx2())
        return "AVX2";
    if (name_in(name, avx_cores) && !__builtin_cpu_supports("avx"))
        return "AVX";
#else
    (void)name;
#endif
    return NULL;
}

int parallel_blas_weaker(char *msg, size_t len)
{
    const char *stronger = getenv("OPENBLAS_CORETYPE") ? parallel_blas_core_wanted() : NULL;
    if (!stronger)
        return 0;
    /* the library's name for its kernels, not the variable's text */
    snprintf(msg, len, "OPENBLAS_CORETYPE set BLAS kernels %s; this CPU runs %s's (unset it)",
             parallel_blas_core(), stronger);
    return 1;
}
