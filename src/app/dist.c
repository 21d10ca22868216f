/* dist: see include/dartboard/dist.h
 *
 * Messages, all broadcast from rank 0 with MPI_Ibcast (a follower polls its
 * request and sleeps between polls, so a paused lead does not cost the
 * followers a core; the lead waits on the same non-blocking broadcast, since
 * blocking and non-blocking collectives do not match each other):
 *   Begin   kind (search, train or stop), the Config, the Genotype, the
 *           state's length; then the state (search_save_state or
 *           trainer_save_state bytes);
 *   Control kind (step or stop), the step count, the live Config.
 * The structs go as bytes: every rank runs the same binary.
 *
 * The sum (grad_reduce.h) in a fixed order: the vector is cut into one chunk
 * per rank; an all-to-all hands rank k every rank's chunk k; rank k adds
 * them element by element in rank order, in double; an all-gather returns
 * the summed chunks to everyone. Each rank sends and receives 2 (N-1)/N of
 * the vector, as a ring all-reduce does, but the order of the additions is
 * fixed by the code, not chosen by the MPI library. Short vectors (the
 * BatchNorm sums of sync_bn) take one all-gather instead, each rank adding
 * all of them in rank order: one collective rather than two.
 */
#include "config.h"

#include "dartboard/dist.h"

#include <stdlib.h>

int dist_launch_rank(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]))
            return atoi(getenv(vars[i]));
    return 0;
}

/* The fuzz harnesses (fuzz/local.mk) build this file as the one-process
 * program: they never start MPI and are not linked with it. */
#if HAVE_MPI && !defined(DARTBOARD_FUZZ_BUILD)

#include <mpi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dartboard/data.h"
#include "dartboard/parallel.h"

enum { MSG_SEARCH = 1, MSG_TRAIN, MSG_STEP, MSG_STOP };

/* Sums of at most this many elements go by one all-gather (see sum_fixed). */
#define SMALL_SUM 4096

typedef struct Begin {
    int32_t kind;
    Config cfg;
    Genotype g;
    uint64_t state_len;
} Begin;

typedef struct Control {
    int32_t kind;
    int64_t step;
    Config cfg;
} Control;

static struct {
    int on; /* MPI started and more than one process */
    int rank, size;
    int begun;                                    /* lead: the Begin went out */
    int stopped;                                  /* lead: the followers were told to stop */
    unsigned long long (*checksum)(const void *); /* lead: of the search or the trainer */
    const void *obj;
    GradReduce reduce;
    void *scratch; /* the sum's chunks, grown on demand */
    size_t scratch_bytes;
    int *counts, *displs; /* per rank, in elements */
    double seconds;       /* in sums (DARTBOARD_DIST_STATS) */
    double bytes;         /* sent by this rank in sums */
    long calls;
} D;

static double now(void)
{
    return MPI_Wtime();
}

static void die(const char *fmt, const char *what)
{
    fprintf(stderr, "dartboard: rank %d: ", D.rank);
    fprintf(stderr, fmt, what);
    fputc('\n', stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    exit(1);
}

/* The sum of every rank's v, each element added in rank order in double. */
static void sum_fixed(void *v, size_t n, int is_double)
{
    const int p = D.size;
    const size_t es = is_double ? sizeof(double) : sizeof(float);
    const MPI_Datatype t = is_double ? MPI_DOUBLE : MPI_FLOAT;
    if (n > (size_t)INT32_MAX / 2)
        die("%s", "a vector too long for one MPI sum");
    double t0 = now();
    if (n <= SMALL_SUM) {
        /* Short vectors (BatchNorm sums): one all-gather, and every rank adds
         * all of them in rank order itself. */
        size_t need = (size_t)p * n * es;
        if (need > D.scratch_bytes) {
            void *q = realloc(D.scratch, need);
            if (!q)
                die("%s", "out of memory for the gradient sum");
            D.scratch = q;
            D.scratch_bytes = need;
        }
        MPI_Allgather(v, (int)n, t, D.scratch, (int)n, t, MPI_COMM_WORLD);
        for (size_t i = 0; i < n; i++) {
            double acc = 0.0;
            for (int k = 0; k < p; k++)
                acc += is_double ? ((const double *)D.scratch)[(size_t)k * n + i]
                                 : (double)((const float *)D.scratch)[(size_t)k * n + i];
            if (is_double)
                ((double *)v)[i] = acc;
            else
                ((float *)v)[i] = (float)acc;
        }
        D.seconds += now() - t0;
        D.bytes += (double)(p - 1) * (double)n * (double)es;
        D.calls++;
        return;
    }
    for (int k = 0; k < p; k++) {
        size_t lo = n * (size_t)k / (size_t)p, hi = n * (size_t)(k + 1) / (size_t)p;
        D.displs[k] = (int)lo;
        D.counts[k] = (int)(hi - lo);
    }
    const int mine = D.counts[D.rank];
    size_t need = (size_t)p * (size_t)mine * es + (size_t)mine * es;
    if (need > D.scratch_bytes) {
        void *q = realloc(D.scratch, need);
        if (!q)
            die("%s", "out of memory for the gradient sum");
        D.scratch = q;
        D.scratch_bytes = need;
    }
    char *recv = D.scratch, *out = recv + (size_t)p * (size_t)mine * es;
    int rcounts[p], rdispls[p];
    for (int k = 0; k < p; k++) {
        rcounts[k] = mine;
        rdispls[k] = k * mine;
    }
    MPI_Alltoallv(v, D.counts, D.displs, t, recv, rcounts, rdispls, t, MPI_COMM_WORLD);
    for (int i = 0; i < mine; i++) {
        double acc = 0.0;
        for (int k = 0; k < p; k++)
            acc += is_double ? ((const double *)recv)[(size_t)k * mine + i]
                             : (double)((const float *)recv)[(size_t)k * mine + i];
        if (is_double)
            ((double *)out)[i] = acc;
        else
            ((float *)out)[i] = (float)acc;
    }
    MPI_Allgatherv(out, mine, t, v, D.counts, D.displs, t, MPI_COMM_WORLD);
    D.seconds += now() - t0;
    D.bytes += 2.0 * (double)(n - (size_t)mine) * (double)es;
    D.calls++;
}

static void sum_floats(void *ctx, float *v, size_t n)
{
    (void)ctx;
    sum_fixed(v, n, 0);
}

static void sum_doubles(void *ctx, double *v, size_t n)
{
    (void)ctx;
    sum_fixed(v, n, 1);
}

/* A broadcast from the lead; followers poll it (see the top of the file). */
static void bcast(void *buf, size_t len)
{
    if (len > (size_t)INT32_MAX)
        die("%s", "a state too large for one broadcast");
    MPI_Request rq;
    MPI_Ibcast(buf, (int)len, MPI_BYTE, 0, MPI_COMM_WORLD, &rq);
    if (D.rank == 0) {
        MPI_Wait(&rq, MPI_STATUS_IGNORE);
        return;
    }
    for (;;) {
        int done = 0;
        MPI_Test(&rq, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

/* Every rank's checksum, gathered and compared on the lead, whose verdict
 * (0, or the first rank that differs) goes back to every rank. Due after
 * every DIST_CHECK_EVERY steps and when the run stops; 0, or -1 + err. */
static int compare_checksums(int64_t step, unsigned long long (*checksum)(const void *),
                             const void *obj, char *err, size_t errlen)
{
    unsigned long long mine = checksum(obj), sums[D.size];
    MPI_Gather(&mine, 1, MPI_UNSIGNED_LONG_LONG, sums, 1, MPI_UNSIGNED_LONG_LONG, 0,
               MPI_COMM_WORLD);
    int32_t bad = 0;
    for (int r = 1; D.rank == 0 && r < D.size && !bad; r++)
        if (sums[r] != sums[0])
            bad = r;
    bcast(&bad, sizeof bad);
    if (!bad)
        return 0;
    char when[64];
    if (step >= 0)
        snprintf(when, sizeof when, "after step %lld", (long long)step);
    else
        snprintf(when, sizeof when, "at the end of the run");
    if (D.rank == 0)
        snprintf(err, errlen,
                 "rank %d: %s its weights differ from rank 0's (checksum %016llx, rank 0 "
                 "%016llx): the processes no longer run the same search; stopped",
                 (int)bad, when, sums[bad], sums[0]);
    else
        snprintf(err, errlen, "rank %d differs", (int)bad);
    return -1;
}

static int check_due(const Control *c)
{
    return c->kind == MSG_STOP || (c->step > 0 && c->step % DIST_CHECK_EVERY == 0);
}

static void report_stats(void)
{
    if (!getenv("DARTBOARD_DIST_STATS") || D.rank != 0)
        return;
    fprintf(stderr,
            "dartboard: dist: %d processes; %ld sums, %.1f MiB sent by rank 0, %.3f s in them\n",
            D.size, D.calls, D.bytes / 1048576.0, D.seconds);
}

/* Ends the followers: they wait either for the Begin (the lead stopped before
 * its search was ready) or for a Control; both open with the kind. After a
 * Control, the last comparison of the checksums. */
int dist_lead_stop(char *err, size_t errlen)
{
    if (!D.on || D.rank != 0 || D.stopped)
        return 0;
    D.stopped = 1;
    static Begin b;
    static Control c;
    b.kind = c.kind = MSG_STOP;
    if (!D.begun) {
        bcast(&b, sizeof b);
        return 0;
    }
    c.step = -1;
    bcast(&c, sizeof c);
    return D.checksum ? compare_checksums(c.step, D.checksum, D.obj, err, errlen) : 0;
}

static void at_exit(void)
{
    if (!D.on)
        return;
    char err[256];
    if (D.rank == 0 && dist_lead_stop(err, sizeof err) != 0)
        fprintf(stderr, "dartboard: %s\n", err);
    report_stats();
    MPI_Finalize();
}

int dist_init(int *argc, char ***argv)
{
    /* Under mpirun or srun only: a plain run never loads MPI's runtime. */
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_SIZE") && !getenv("PMIX_RANK"))
        return 0;
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
        return 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &D.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &D.size);
    if (D.size == 1) {
        MPI_Finalize();
        D.rank = 0;
        return 0;
    }
    if (provided < MPI_THREAD_SERIALIZED)
        die("%s", "the MPI library does not allow calls from the worker thread "
                  "(expected MPI_THREAD_SERIALIZED)");
    D.on = 1;
    D.counts = calloc((size_t)D.size, sizeof *D.counts);
    D.displs = calloc((size_t)D.size, sizeof *D.displs);
    if (!D.counts || !D.displs)
        die("%s", "out of memory");
    D.reduce = (GradReduce){.rank = D.rank,
                            .size = D.size,
                            .ctx = NULL,
                            .sum_floats = sum_floats,
                            .sum_doubles = sum_doubles};
    atexit(at_exit);
    return D.rank;
}

int dist_rank(void)
{
    return D.on ? D.rank : 0;
}

int dist_size(void)
{
    return D.on ? D.size : 1;
}

const GradReduce *dist_reduce(const Config *cfg)
{
    if (!D.on)
        return NULL;
    D.reduce.sync_bn = cfg->run.sync_bn;
    return &D.reduce;
}

/* ---- the lead ------------------------------------------------------------ */

/* The state as the checkpoint holds it, into a malloc'ed buffer. */
static int lead_begin(Begin *b, const void *obj, int (*save)(const void *, FILE *), char *err,
                      size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f || save(obj, f) != 0 || fclose(f) != 0) {
        snprintf(err, errlen, "cannot serialise the state for the other ranks (out of memory)");
        free(buf);
        return -1;
    }
    b->state_len = len;
    D.begun = 1;
    bcast(b, sizeof *b);
    bcast(buf, len);
    free(buf);
    return 0;
}

static int save_search(const void *s, FILE *f)
{
    return search_save_state(s, f);
}

static int save_trainer(const void *t, FILE *f)
{
    return trainer_save_state(t, f);
}

int dist_lead_search(const Config *cfg, const Search *s, char *err, size_t errlen)
{
    if (!D.on)
        return 0;
    static Begin b;
    memset(&b, 0, sizeof b);
    b.kind = MSG_SEARCH;
    b.cfg = *cfg;
    return lead_begin(&b, s, save_search, err, errlen);
}

int dist_lead_train(const Config *cfg, const Genotype *g, const Trainer *t, char *err,
                    size_t errlen)
{
    if (!D.on)
        return 0;
    static Begin b;
    memset(&b, 0, sizeof b);
    b.kind = MSG_TRAIN;
    b.cfg = *cfg;
    b.g = *g;
    return lead_begin(&b, t, save_trainer, err, errlen);
}

/* The Control for the next step, then the checksums when they are due. */
static int lead_step(const Config *cfg, int64_t step, unsigned long long (*checksum)(const void *),
                     const void *obj, char *err, size_t errlen)
{
    static Control c;
    c.kind = MSG_STEP;
    c.step = step;
    c.cfg = *cfg;
    D.checksum = checksum;
    D.obj = obj;
    bcast(&c, sizeof c);
    if (!check_due(&c) || compare_checksums(step, checksum, obj, err, errlen) == 0)
        return 0;
    D.stopped = 1; /* the followers saw the verdict and ended */
    return -1;
}

static unsigned long long checksum_search(const void *s)
{
    return search_checksum(s);
}

static unsigned long long checksum_trainer(const void *t)
{
    return trainer_checksum(t);
}

int dist_lead_search_step(const Config *cfg, const Search *s, char *err, size_t errlen)
{
    return D.on ? lead_step(cfg, search_step_count(s), checksum_search, s, err, errlen) : 0;
}

int dist_lead_train_step(const Config *cfg, const Trainer *t, char *err, size_t errlen)
{
    return D.on ? lead_step(cfg, trainer_step_count(t), checksum_trainer, t, err, errlen) : 0;
}

/* ---- a follower ---------------------------------------------------------- */

typedef struct Follower {
    Dataset data;
    Search *search;
    Trainer *trainer;
} Follower;

static void follower_load(Follower *f, const Begin *b, const char *state)
{
    char err[1024];
    parallel_set_threads(b->cfg.run.threads);
    if (dataset_load(&f->data, &b->cfg, DATA_TRAIN, err, sizeof err) != 0)
        die("%s (every rank reads data.dir itself: copy the data to each node)", err);
    const GradReduce *r = dist_reduce(&b->cfg);
    if (b->kind == MSG_SEARCH)
        f->search = search_create_dist(&b->cfg, &f->data, r, err, sizeof err);
    else
        f->trainer = trainer_create_dist(&b->cfg, &b->g, &f->data, NULL, r, err, sizeof err);
    if (!f->search && !f->trainer)
        die("%s", err);
    FILE *in = fmemopen((void *)state, b->state_len, "rb");
    if (!in)
        die("%s", "out of memory for the state from rank 0");
    int rc = f->search ? search_load_state(f->search, in, err, sizeof err)
                       : trainer_load_state(f->trainer, in, err, sizeof err);
    fclose(in);
    if (rc != 0)
        die("the state from rank 0: %s", err);
}

int dist_follow(void)
{
    /* The lead answers Ctrl-C and SIGTERM with a checkpoint and then stops
     * the followers; a follower killed first would leave it waiting. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    static Begin b;
    bcast(&b, sizeof b);
    if (b.kind == MSG_STOP)
        return 0;
    if (b.kind != MSG_SEARCH && b.kind != MSG_TRAIN)
        die("%s", "an unknown message from rank 0");
    char *state = malloc(b.state_len ? b.state_len : 1);
    if (!state)
        die("%s", "out of memory for the state from rank 0");
    bcast(state, b.state_len);
    Follower f = {0};
    follower_load(&f, &b, state);
    free(state);

    char err[1024];
    for (;;) {
        int64_t step = f.search ? search_step_count(f.search) : trainer_step_count(f.trainer);
        static Control c;
        bcast(&c, sizeof c);
        if (c.kind != MSG_STEP && c.kind != MSG_STOP)
            die("%s", "an unknown message from rank 0");
        if (c.kind == MSG_STEP && c.step != step)
            die("%s", "out of step with rank 0 (a message for another step)");
        /* rank 0 reports a difference and ends the run */
        if (check_due(&c) &&
            (f.search ? compare_checksums(step, checksum_search, f.search, err, sizeof err)
                      : compare_checksums(step, checksum_trainer, f.trainer, err, sizeof err)) != 0)
            break;
        if (c.kind == MSG_STOP)
            break;
        /* A step that fails fails on every rank alike (its losses and
         * gradients are global) and is rolled back; rank 0 reports it. */
        if (f.search)
            search_step(f.search, &c.cfg, NULL, err, sizeof err);
        else
            trainer_step(f.trainer, &c.cfg, NULL, err, sizeof err);
    }
    search_free(f.search);
    trainer_free(f.trainer);
    dataset_free(&f.data);
    return 0;
}

#else /* one process */

#include <stdio.h>
#include <stdlib.h>

/* Started by mpirun with several processes, each would run the whole search
 * alone (and all but one would find the run directory locked): refuse. */
int dist_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *size = getenv("OMPI_COMM_WORLD_SIZE");
    if (!size)
        size = getenv("PMI_SIZE");
    if (size && atoi(size) > 1) {
        if (dist_launch_rank() == 0)
            fprintf(stderr,
                    "dartboard: started as one of %d MPI processes, but built without MPI "
                    "(expected a build with ./configure --with-mpi)\n",
                    atoi(size));
        exit(2);
    }
    return 0;
}

int dist_rank(void)
{
    return 0;
}

int dist_size(void)
{
    return 1;
}

const GradReduce *dist_reduce(const Config *cfg)
{
    (void)cfg;
    return NULL;
}

int dist_follow(void)
{
    return 0;
}

int dist_lead_search(const Config *cfg, const Search *s, char *err, size_t errlen)
{
    (void)cfg, (void)s, (void)err, (void)errlen;
    return 0;
}

int dist_lead_train(const Config *cfg, const Genotype *g, const Trainer *t, char *err,
                    size_t errlen)
{
    (void)cfg, (void)g, (void)t, (void)err, (void)errlen;
    return 0;
}

int dist_lead_search_step(const Config *cfg, const Search *s, char *err, size_t errlen)
{
    (void)cfg, (void)s, (void)err, (void)errlen;
    return 0;
}

int dist_lead_train_step(const Config *cfg, const Trainer *t, char *err, size_t errlen)
{
    (void)cfg, (void)t, (void)err, (void)errlen;
    return 0;
}

int dist_lead_stop(char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return 0;
}

#endif
