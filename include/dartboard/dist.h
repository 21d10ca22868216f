/* dist: one search or training run over the processes of an MPI job
 * (docs/ARCHITECTURE.md, The MPI layer). The only code that sees MPI.
 *
 * Rank 0, the lead, is the program as it runs alone: it parses the command
 * line, owns the run directory, the checkpoint, the log and the front-end.
 * Every other rank is a follower (dist_follow): it parses nothing and writes
 * nothing; it gets the configuration, the genotype and the whole state from
 * the lead, then before every step the live configuration, runs the same
 * steps on its shard of each global batch, and prints only errors. The
 * gradients are summed through the GradReduce of dist_reduce (grad_reduce.h:
 * a fixed order, so reruns with the same number of processes are
 * bit-identical). Every DIST_CHECK_EVERY steps the lead gathers every rank's
 * checksum of the weights (and alphas) and stops the run naming the first
 * rank that differs.
 *
 * Built without MPI (configure without --with-mpi, or no MPI found), or run
 * as one process, every function here is a no-op and the program is the
 * single-process one.
 */
#ifndef DARTBOARD_DIST_H
#define DARTBOARD_DIST_H

#include <stddef.h>

#include "dartboard/config_types.h"
#include "dartboard/genotype.h"
#include "dartboard/grad_reduce.h"
#include "dartboard/search.h"
#include "dartboard/trainer.h"

#define DIST_CHECK_EVERY 10

/* Starts MPI when the program runs under mpirun/srun (and was built with
 * it); returns this process's rank (0 without MPI). The lead's exit (atexit)
 * stops any follower still waiting and ends MPI. */
int dist_init(int *argc, char ***argv);
int dist_rank(void);
/* This process's rank as the launcher (mpirun, srun) gave it in the
 * environment, before MPI starts; 0 outside one. For what must be said once
 * before dist_init. */
int dist_launch_rank(void);
int dist_size(void);

/* The gradient sum of this job, sync_bn as the configuration says; NULL
 * when the job is one process. */
const GradReduce *dist_reduce(const Config *cfg);

/* A follower's whole life: returns its exit status (0 when the lead stopped
 * it; errors are printed as "dartboard: rank R: ..." and abort the job). */
int dist_follow(void);

/* The lead, from the session's worker. After the search or the trainer is
 * ready (started or resumed): its configuration and state go to the
 * followers. Before each step: the live configuration goes out, after the
 * checksum comparison when it is due. 0, or -1 + err (a rank whose weights
 * differ: the followers are stopped). */
int dist_lead_search(const Config *cfg, const Search *s, char *err, size_t errlen);
int dist_lead_train(const Config *cfg, const Genotype *g, const Trainer *t, char *err,
                    size_t errlen);
int dist_lead_search_step(const Config *cfg, const Search *s, char *err, size_t errlen);
int dist_lead_train_step(const Config *cfg, const Trainer *t, char *err, size_t errlen);
/* The run is over on the lead: the last checksum comparison, and the
 * followers end (at exit, if not before). 0, or -1 + err naming a rank that differs. */
int dist_lead_stop(char *err, size_t errlen);

#endif
