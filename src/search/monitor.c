/* monitor: see include/dartboard/monitor.h */
#include "dartboard/monitor.h"

#include <math.h>
#include <string.h>

int monitor_param_free(int op)
{
    return op == OP_SKIP_CONNECT || op == OP_MAX_POOL_3X3 || op == OP_AVG_POOL_3X3;
}

static double mean_entropy(const float *w, int edges)
{
    double sum = 0.0;
    for (int e = 0; e < edges; e++)
        for (int o = 0; o < OP_COUNT; o++) {
            double p = w[e * OP_COUNT + o];
            if (p > 0.0)
                sum -= p * log(p);
        }
    return edges > 0 ? sum / edges : 0.0;
}

void monitor_alpha_stats(const float *normal, const float *reduce, int nodes, MonitorRow *row)
{
    const int edges = genotype_edge_count(nodes);
    Genotype g;
    genotype_derive(&g, normal, reduce, nodes);
    row->skips_normal = 0;
    row->param_free_normal = 0;
    for (int i = 0; i < 2 * nodes; i++) {
        row->skips_normal += g.normal[i].op == OP_SKIP_CONNECT;
        row->param_free_normal += monitor_param_free(g.normal[i].op);
    }
    row->entropy_normal = (float)mean_entropy(normal, edges);
    row->entropy_reduce = (float)mean_entropy(reduce, edges);
    double none = 0.0;
    for (int e = 0; e < edges; e++)
        none += (double)normal[e * OP_COUNT + OP_NONE] + reduce[e * OP_COUNT + OP_NONE];
    row->none_weight = edges > 0 ? (float)(none / (2.0 * edges)) : 0.0f;
}

void early_stop_init(EarlyStop *es, int window, double ratio, double start)
{
    memset(es, 0, sizeof *es);
    es->window = window < 1 ? 1 : window > MONITOR_ES_MAX_WINDOW ? MONITOR_ES_MAX_WINDOW : window;
    es->ratio = ratio;
    es->start = start;
}

/* The local average ending at evaluation j: over the last `window`
 * evaluations, or all of them while there are fewer (EVLocalAvg). */
static double local_average(const EarlyStop *es, int64_t j)
{
    int64_t first = j + 1 - es->window < 0 ? 0 : j + 1 - es->window;
    double sum = 0.0;
    for (int64_t i = first; i <= j; i++)
        sum += es->lambda[i % MONITOR_ES_RING];
    return sum / (double)(j - first + 1);
}

void early_stop_update(EarlyStop *es, int64_t step, double epoch, double lambda, const Genotype *g,
                       EarlyStopVerdict *v)
{
    memset(v, 0, sizeof *v);
    int64_t j = es->evals++;
    int at = (int)(j % MONITOR_ES_RING);
    es->lambda[at] = lambda;
    es->epoch[at] = epoch;
    es->step[at] = step;
    es->genotype[at] = *g;
    /* Local averages exist from the ceil(window/2)-th evaluation on; the one
     * ending at j is centred at j - floor(window/2). */
    int64_t first_avg = (es->window + 1) / 2 - 1, prior_end = j - MONITOR_ES_DELTA;
    int64_t centre = prior_end - es->window / 2;
    if (prior_end < first_avg || centre < 0)
        return;
    v->current = local_average(es, j);
    v->prior = local_average(es, prior_end);
    int c = (int)(centre % MONITOR_ES_RING);
    if (es->epoch[c] < es->start || !(v->prior > 0.0) || v->current / v->prior <= es->ratio)
        return;
    v->stop = 1;
    v->keep_step = es->step[c];
    v->keep_epoch = es->epoch[c];
    v->keep = es->genotype[c];
}

int64_t early_stop_next_centre(const EarlyStop *es)
{
    int64_t centre = es->evals - MONITOR_ES_DELTA - es->window / 2;
    return centre < 0 ? 0 : centre;
}
