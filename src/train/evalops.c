/* evalops: see evalops.h. Shapes in comments are (n, c, h, w). */
#include "config.h"
#include "dartboard/nn_isa.h"
#include "evalops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "dartboard/grad_reduce.h"
#include "dartboard/profile.h"

/* ------------------------------------------------------------------ plan */

void eneed(size_t *need, size_t count)
{
    if (count > *need)
        *need = count;
}

static void plan_record(EPlan *p, int running, EInitKind kind, size_t off, size_t count, int fan_in)
{
    if (p->init)
        p->init[p->inits] = (EInit){running, kind, off, count, fan_in};
    p->inits++;
}

size_t eplan_weights(EPlan *p, size_t count, EInitKind kind, int fan_in)
{
    size_t off = p->weights;
    plan_record(p, 0, kind, off, count, fan_in);
    p->weights += count;
    return off;
}

void eplan_bn(EPlan *p, EBn *bn, int c)
{
    bn->c = c;
    bn->gamma = eplan_weights(p, (size_t)c, INIT_ONE, 0);
    bn->beta = eplan_weights(p, (size_t)c, INIT_ZERO, 0);
    bn->run = p->running;
    plan_record(p, 1, INIT_ZERO, p->running, (size_t)c, 0);
    plan_record(p, 1, INIT_ONE, p->running + (size_t)c, (size_t)c, 0);
    p->running += 2 * (size_t)c;
    bn->mean = arena_floats(&p->net->arena, (size_t)c);
    bn->invstd = arena_floats(&p->net->arena, (size_t)c);
    bn->scale = arena_floats(&p->net->arena, (size_t)c);
}

void eplan_conv_weights(EPlan *p, ECv *cv, int c_in, int c_out, int k, int stride, int pad,
                        int dilation, int groups)
{
    cv->spec = (ConvSpec){.c_in = c_in,
                          .c_out = c_out,
                          .kh = k,
                          .kw = k,
                          .stride = stride,
                          .pad = pad,
                          .dilation = dilation,
                          .groups = groups};
    cv->w = eplan_weights(p, conv_weight_count(&cv->spec), INIT_UNIFORM, c_in / groups * k * k);
}

void eplan_conv(EPlan *p, ECv *cv, int c_in, int c_out, int k, int stride, int pad, int dilation,
                int groups, int h, int w)
{
    eplan_conv_weights(p, cv, c_in, c_out, k, stride, pad, dilation, groups);
    eneed(&p->conv, conv_scratch_floats(&cv->spec, p->batch, h, w));
}

void eplan_relu_conv_bn(EPlan *p, ERcb *r, int c_in, int c_out, int h, int w)
{
    size_t n = (size_t)p->batch;
    *r = (ERcb){.c_in = c_in, .c_out = c_out, .h = h, .w = w};
    eplan_conv(p, &r->conv, c_in, c_out, 1, 1, 0, 1, 1, h, w);
    eplan_bn(p, &r->bn, c_out);
    r->x = arena_floats_live(&p->net->arena, n * (size_t)c_out * (size_t)h * (size_t)w, p->kept);
    r->coef = arena_floats(&p->net->arena, 3 * (size_t)c_out);
    /* read from a cell's states (ConvCat): per image group, the gathered
     * ReLU and its gradient, and the output's gradient (its BN fused); the
     * partial weight gradients; the BN's statistics and backward sums */
    eneed(&p->blk_scratch, conv_relu_cat_scratch_floats(&r->conv.spec, 1, h, w));
    eneed(&p->part, conv_weight_count(&r->conv.spec));
    eneed(&p->bn_c, (size_t)c_out);
}

void eplan_fact_red(EPlan *p, EFr *f, int c_in, int c_out, int h, int w)
{
    size_t n = (size_t)p->batch;
    *f = (EFr){.c_in = c_in, .c_out = c_out, .h = h, .w = w, .ho = h / 2, .wo = w / 2};
    size_t hwo = (size_t)f->ho * (size_t)f->wo;
    eplan_conv(p, &f->a, c_in, c_out / 2, 1, 1, 0, 1, 1, f->ho, f->wo);
    eplan_conv(p, &f->b, c_in, c_out / 2, 1, 1, 0, 1, 1, f->ho, f->wo);
    eplan_bn(p, &f->bn, c_out);
    f->x = arena_floats_live(&p->net->arena, n * (size_t)c_out * hwo, p->kept);
    /* per image group, a phase of the gathered ReLU and its gradient, and
     * the output's gradient (its BN fused); the partial weight gradients;
     * the BN's statistics and backward sums */
    eneed(&p->blk_scratch, conv_relu_cat_scratch_floats(&f->a.spec, 2, h, w));
    eneed(&p->part, 2 * conv_weight_count(&f->a.spec));
    eneed(&p->bn_c, (size_t)c_out);
}

void eplan_sep_dil(EPlan *p, EOp *op, int blocks, int c, int k, int stride, int pad, int dilation,
                   int h, int w)
{
    size_t n = (size_t)p->batch;
    op->blocks = blocks;
    op->ho = conv_out_size(h, k, stride, pad, dilation);
    op->wo = conv_out_size(w, k, stride, pad, dilation);
    size_t out = n * (size_t)c * (size_t)op->ho * (size_t)op->wo;
    for (int b = 0; b < blocks; b++) {
        int hi = b == 0 ? h : op->ho, wi = b == 0 ? w : op->wo;
        eplan_conv(p, &op->dw[b], c, c, k, b == 0 ? stride : 1, pad, dilation, c, hi, wi);
        eplan_conv(p, &op->pw[b], c, c, 1, 1, 0, 1, 1, op->ho, op->wo);
        eplan_bn(p, &op->bn[b], c);
        /* the fused block's scratch; its partial weight gradients and BN
         * backward sums */
        eneed(&p->blk_scratch, conv_dw_pw_scratch_floats(&op->dw[b].spec, &op->pw[b].spec, hi, wi));
        eneed(&p->part, (size_t)c * (size_t)c + conv_weight_count(&op->dw[b].spec));
        eneed(&p->bn_c, (size_t)c);
    }
    for (int b = 0; b < 2; b++)
        op->x[b] = p->keeps && b < blocks ? arena_floats_live(&p->net->arena, out, p->kept) : NULL;
    if (!p->keeps)
        eneed(&p->blk, out);
}

/* ------------------------------------------------------------------ helpers */

/* Channel ch's mean and gamma * invstd in the current pass: the running
 * statistics in test mode, else the saved batch ones. */
static float ebn_mean(const EvalNet *net, const EBn *bn, int ch)
{
    return net->mode == EVAL_TEST ? net->run[bn->run + ch] : bn->mean[ch];
}

static float ebn_scale(const EvalNet *net, const EBn *bn, int ch)
{
    const float gamma = net->w[bn->gamma + ch];
    if (net->mode == EVAL_TEST)
        return gamma * (1.0f / sqrtf(net->run[bn->run + bn->c + ch] + BN_EPS));
    return gamma * bn->invstd[ch];
}

/* The first image of image group g (of DWPW_GROUPS; g = DWPW_GROUPS: the
 * batch's end). */
static int group_start(const EvalNet *net, int g)
{
    return net->n * g / DWPW_GROUPS;
}

/* Images i0 .. i1 of image group g of the batch; whether it holds any (a
 * batch smaller than DWPW_GROUPS leaves groups empty). */
static int group_images(const EvalNet *net, int g, int *i0, int *i1)
{
    *i0 = group_start(net, g);
    *i1 = group_start(net, g + 1);
    return *i1 > *i0;
}

/* In a parallel region: the calling thread's image groups g0 .. g1 - 1
 * (EvalNet.groups; all of them without OpenMP). */
static void thread_groups(const EvalNet *net, int *g0, int *g1)
{
    *g0 = 0;
    *g1 = DWPW_GROUPS;
#ifdef _OPENMP
    balance_range(&net->groups, omp_get_thread_num(), omp_get_num_threads(), g0, g1);
#else
    (void)net;
#endif
}

/* In a parallel region over the batch: the calling thread's images, those
 * of its image groups, so that a pass finds in a thread's cache the images
 * its fused blocks left there, and shares the batch as the threads' speeds
 * do. */
static void images_mine(const EvalNet *net, int *i0, int *i1)
{
    int g0, g1;
    thread_groups(net, &g0, &g1);
    *i0 = group_start(net, g0);
    *i1 = group_start(net, g1);
}

/* The formula of the BN forward ((in - mean) * (gamma * invstd) + beta), so
 * the same values as the output it recomputes; the ReLU, the scale and the
 * add after it. */
NN_CLONED void ebn_apply(EvalNet *net, const EBn *bn, const EDest *to, const float *in, int hw,
                         int relu)
{
    PROFILE_BEGIN;
    const float *beta = net->w + bn->beta;
    int c = bn->c, planes = net->n * c;
#pragma omp parallel if ((size_t)planes * hw >= PARALLEL_MIN_PASS)
    {
        int i0, i1;
        images_mine(net, &i0, &i1);
        for (int q = i0 * c; q < i1 * c; q++) {
            int ch = q % c;
            float m = ebn_mean(net, bn, ch), a = ebn_scale(net, bn, ch), b = beta[ch];
            float s = to->scale ? to->scale[q / c] : 1.0f;
            const float *ip = in + (size_t)q * hw;
            float *op = to->node + (size_t)q * hw;
            if (to->base) { /* the identity's input plus the output: one pass */
                const float *bp = to->base + (size_t)q * hw;
#pragma omp simd
                for (int j = 0; j < hw; j++)
                    op[j] = bp[j] + ((ip[j] - m) * a + b) * s;
            } else if (relu) {
#pragma omp simd
                for (int j = 0; j < hw; j++) {
                    float y = (ip[j] - m) * a + b;
                    y = (y > 0.0f ? y : 0.0f) * s;
                    op[j] = to->add ? op[j] + y : y;
                }
            } else if (to->add) {
#pragma omp simd
                for (int j = 0; j < hw; j++)
                    op[j] += ((ip[j] - m) * a + b) * s;
            } else {
#pragma omp simd
                for (int j = 0; j < hw; j++)
                    op[j] = ((ip[j] - m) * a + b) * s;
            }
        }
    }
    PROFILE_END(PROF_BN, 4.0 * planes * hw);
}

/* Shared by the threads as the images are (images_mine): a gradient buffer
 * of the 28x28 stage is 3 MiB, and while one thread cleared it the other
 * waited (the threads' time in OpenMP's wait fell from 12.2-12.8 % to
 * 10.7-11.2 % of a 2-thread step, perf). */
void ezero(const EvalNet *net, float *y, size_t count)
{
#pragma omp parallel if (count > PARALLEL_MIN_PASS)
    {
        int i0, i1;
        images_mine(net, &i0, &i1);
        const size_t a = count * (size_t)i0 / (size_t)net->n,
                     b = count * (size_t)i1 / (size_t)net->n;
        memset(y + a, 0, (b - a) * sizeof *y);
    }
}

void ebn_forward(EvalNet *net, const EBn *bn, float *out, const float *in, int hw)
{
    const float *gamma = net->w + bn->gamma, *beta = net->w + bn->beta;
    float *rm = net->run + bn->run, *rv = rm + bn->c;
    switch (net->mode) {
    case EVAL_TEST:
        batchnorm_forward_eval(out, in, gamma, beta, rm, rv, net->n, bn->c, hw, BN_EPS);
        break;
    case EVAL_TRAIN:
        batchnorm_forward_train(out, bn->mean, bn->invstd, in, gamma, beta, rm, rv, net->n, bn->c,
                                hw, BN_MOMENTUM, BN_EPS);
        break;
    case EVAL_TRAIN_FROZEN:
        batchnorm_forward_train(out, bn->mean, bn->invstd, in, gamma, beta, NULL, NULL, net->n,
                                bn->c, hw, BN_MOMENTUM, BN_EPS);
        break;
    }
}

void ebn_stats(EvalNet *net, const EBn *bn, const float *in, int hw)
{
    if (net->mode != EVAL_TEST)
        ebn_forward(net, bn, NULL, in, hw);
}

/* An op's last BN, written where `to` says: a plain output as ebn_forward
 * writes it, else the statistics then the scaled or added apply. */
static void ebn_to(EvalNet *net, const EBn *bn, const EDest *to, const float *in, int hw)
{
    if (!to->scale && !to->add && !to->base) {
        ebn_forward(net, bn, to->node, in, hw);
        return;
    }
    ebn_stats(net, bn, in, hw);
    ebn_apply(net, bn, to, in, hw, 0);
}

ConvPre ebn_pre(EvalNet *net, const EBn *bn)
{
    for (int ch = 0; ch < bn->c; ch++)
        bn->scale[ch] = ebn_scale(net, bn, ch);
    return (ConvPre){.mean = net->mode == EVAL_TEST ? net->run + bn->run : bn->mean,
                     .scale = bn->scale,
                     .shift = net->w + bn->beta};
}

void ebn_backward(EvalNet *net, const EBn *bn, float *din, const float *dout,
                  const float *dout_scale, const float *in, int hw)
{
    batchnorm_backward_set(din, net->gw + bn->gamma, net->gw + bn->beta, dout, dout_scale, in,
                           bn->mean, bn->invstd, net->w + bn->gamma, net->n, bn->c, hw);
}

/* The thread-seconds of group work between two looks at the split (a few
 * dozen group loops), and how far a boundary must be from where the
 * threads' speeds put it to move, in groups (balance.h). */
#define GROUPS_WINDOW 0.01
#define GROUPS_HYSTERESIS 0.6

/* Before a group loop, in the calling thread: the split planned for the
 * team the loop will have, or moved by the last loop's times. */
static void groups_rebalance(EvalNet *net)
{
#ifdef _OPENMP
    const int team = omp_get_max_threads();
#else
    const int team = 1;
#endif
    if (team != net->groups.threads)
        balance_init(&net->groups, DWPW_GROUPS, team);
    else
        balance_update(&net->groups, GROUPS_WINDOW, GROUPS_HYSTERESIS);
}

/* A thread's walk over its run of groups g0 .. g1 - 1 in a group loop's
 * parallel region: the group in hand (g) and its images (i0 .. i1 - 1),
 * and when the thread started on the run. */
typedef struct GroupRun {
    int g, i0, i1, g0, g1;
    double t0;
} GroupRun;

static GroupRun groups_mine(const EvalNet *net)
{
    GroupRun r = {0};
    thread_groups(net, &r.g0, &r.g1);
    r.g = r.g0 - 1;
#ifdef _OPENMP
    r.t0 = omp_get_wtime();
#endif
    return r;
}

/* The next group of the run that holds images; at the run's end, the
 * thread's time on it told to the split (groups_rebalance), and 0. */
static int groups_next(EvalNet *net, GroupRun *r)
{
    while (++r->g < r->g1)
        if (group_images(net, r->g, &r->i0, &r->i1))
            return 1;
#ifdef _OPENMP
    balance_record(&net->groups, omp_get_thread_num(), omp_get_num_threads(),
                   omp_get_wtime() - r->t0, group_start(net, r->g1) - group_start(net, r->g0));
#endif
    return 0;
}

/* The calling thread's scratch for the fused kernels. A kernel call uses it
 * for its group's images only, and a thread runs its groups one after the
 * other, so the slots go by thread, not by group: a thread comes back to
 * the scratch it left in its cache, where with a slot per group it went
 * round four of them (the fashion step 1.3-1.7 % shorter at 2 threads, 3-4 %
 * at 1, whose thread went round all eight; BENCHMARKS.md).
 * A thread numbered DWPW_GROUPS or more gets no group (balance_range), so
 * it never asks for a slot past those planned. */
static float *thread_scratch(const EvalNet *net)
{
#ifdef _OPENMP
    const int t = omp_get_thread_num();
    if (t >= DWPW_GROUPS) { /* balance_range gave it a group: a broken invariant */
        fprintf(stderr, "dartboard: evalops: thread %d ran an image group\n", t);
        abort();
    }
    return net->blk_scratch + (size_t)t * net->blk_scratch_floats;
#else
    return net->blk_scratch;
#endif
}

static float *group_part(const EvalNet *net, int g)
{
    return net->parts + (size_t)g * net->part_floats;
}

/* Group g's partial sums of a BN backward split around a fused block
 * (batchnorm.h): sg, then sgx, c channels each; cleared. */
static double *group_bn_sums(const EvalNet *net, int g, int c)
{
    double *sums = net->bn_parts + (size_t)g * 2 * net->bn_c;
    memset(sums, 0, 2 * (size_t)c * sizeof *sums);
    return sums;
}

/* That BN backward's sums over the groups, in group order (the bits do not
 * depend on the thread count), then its finish: the weight gradients, and
 * net->bn_coef for its input gradient. */
static void ebn_grad_finish(EvalNet *net, const EBn *bn, int hw)
{
    const int c = bn->c;
    double sg[c], sgx[c];
    memset(sg, 0, sizeof sg);
    memset(sgx, 0, sizeof sgx);
    for (int g = 0; g < DWPW_GROUPS; g++) {
        int i0, i1;
        if (!group_images(net, g, &i0, &i1))
            continue;
        const double *part = net->bn_parts + (size_t)g * 2 * net->bn_c;
        for (int ch = 0; ch < c; ch++) {
            sg[ch] += part[ch];
            sgx[ch] += part[c + ch];
        }
    }
    batchnorm_grad_finish(net->bn_coef, net->gw + bn->gamma, net->gw + bn->beta, sg, sgx,
                          (double)net->n * hw, bn->invstd, net->w + bn->gamma, c);
}

/* Whether a sep_conv or dil_conv forward takes its BNs' statistics in its
 * blocks: while training, and not with sync_bn (its sums span the
 * processes: batchnorm_forward_train's passes). */
int ev_stats_fused(const EvalNet *net)
{
    return net->mode != EVAL_TEST && !bn_sync_hook;
}

/* The statistics the groups took (dwpw_forward), merged in group order (the
 * bits do not depend on the thread count), then saved, and while training
 * the running ones updated; off: where they start in a group's part. */
static void ebn_stats_finish(EvalNet *net, const EBn *bn, int hw, size_t off)
{
    const int c = bn->c;
    double mean[c], m2[c], count = 0.0;
    for (int g = 0; g < DWPW_GROUPS; g++) {
        int i0, i1;
        if (!group_images(net, g, &i0, &i1))
            continue;
        const double *part = net->bn_parts + (size_t)g * 2 * net->bn_c + off,
                     n = (double)(i1 - i0) * hw;
        batchnorm_stats_merge(mean, m2, count, part, part + c, n, c);
        count += n;
    }
    float *rm = net->mode == EVAL_TRAIN ? net->run + bn->run : NULL;
    batchnorm_stats_finish(bn->mean, bn->invstd, rm, rm ? rm + c : NULL, mean, m2, count, c,
                           BN_MOMENTUM, BN_EPS);
}

/* The ConvPost of a BN after a fused block: its output gradient g (image i
 * scaled by gs[i]), its input x; its coefficients once finished. */
static ConvPost ebn_post(EvalNet *net, const EBn *bn, const float *g, const float *gs,
                         const float *x)
{
    return (ConvPost){.g = g, .gs = gs, .mean = bn->mean, .x = x, .coef = net->bn_coef};
}

/* An op's last BN, or a preprocessing's, written where `to` says; with
 * fused, its statistics taken by the kernel that made `in` (the groups'
 * parts), so one pass: the apply. */
static void ebn_out(EvalNet *net, const EBn *bn, const EDest *to, const float *in, int hw,
                    int fused)
{
    if (!fused) {
        ebn_to(net, bn, to, in, hw);
        return;
    }
    ebn_stats_finish(net, bn, hw, 0);
    ebn_apply(net, bn, to, in, hw, 0);
}

/* A BN backward whose input gradient a kernel makes as it reads it (a
 * ConvPost's coef): its sums over the batch in a pass (into group 0's part,
 * free between the fused kernels), then its finish. */
static void ebn_grad_coef(EvalNet *net, const EBn *bn, const float *dout, const float *dout_scale,
                          const float *x, int hw, float *coef)
{
    double *sg = net->bn_parts, *sgx = sg + bn->c;
    batchnorm_grad_sums(sg, sgx, dout, dout_scale, x, bn->mean, net->n, bn->c, hw);
    batchnorm_grad_finish(coef, net->gw + bn->gamma, net->gw + bn->beta, sg, sgx,
                          (double)net->n * hw, bn->invstd, net->w + bn->gamma, bn->c);
}

/* post from image i0 on. */
static ConvPost post_from(const ConvPost *post, int i0, size_t out_img)
{
    ConvPost mine = *post;
    mine.g = post->g ? post->g + (size_t)i0 * out_img : NULL;
    mine.gs = post->gs ? post->gs + i0 : NULL;
    mine.x = post->x ? post->x + (size_t)i0 * out_img : NULL;
    return mine;
}

/* dst[0..len) += the groups' partial sums at offset off, in group order:
 * the bits do not depend on the thread count. Called by every thread of a
 * group loop's team once all its groups are done, each adding its share of
 * the floats. */
static void parts_sum(const EvalNet *net, float *dst, size_t off, size_t len)
{
    size_t k0 = 0, k1 = len;
#ifdef _OPENMP
    const size_t t = (size_t)omp_get_thread_num(), team = (size_t)omp_get_num_threads();
    k0 = len * t / team;
    k1 = len * (t + 1) / team;
#endif
    for (int g = 0; g < DWPW_GROUPS; g++) {
        int i0, i1;
        if (!group_images(net, g, &i0, &i1))
            continue;
        const float *part = group_part(net, g) + off;
        for (size_t k = k0; k < k1; k++)
            dst[k] += part[k];
    }
}

/* The fused depthwise-pointwise forward over the image groups; with post,
 * per group, its BN's backward sums (post->g set: the forward the backward
 * runs again), else its BN's statistics. */
static void dwpw_forward(EvalNet *net, const ECv *dw, const ECv *pw, const ConvPre *pre,
                         const ConvPost *post, float *out, float *keep, const float *in, int h,
                         int w, int layout)
{
    int ho = conv_out_size(h, dw->spec.kh, dw->spec.stride, dw->spec.pad, dw->spec.dilation),
        wo = conv_out_size(w, dw->spec.kw, dw->spec.stride, dw->spec.pad, dw->spec.dilation);
    size_t in_img = (size_t)dw->spec.c_in * h * w, out_img = (size_t)pw->spec.c_out * ho * wo;
    size_t mid_img = (size_t)dw->spec.c_out * ho * wo;
    groups_rebalance(net);
#pragma omp parallel if (net->n > 1)
    for (GroupRun r = groups_mine(net); groups_next(net, &r);) {
        const int g = r.g, i0 = r.i0, i1 = r.i1;
        ConvPost mine;
        if (post) {
            mine = post_from(post, i0, out_img);
            double *part = group_bn_sums(net, g, pw->spec.c_out);
            if (post->g) {
                mine.sg = part;
                mine.sgx = part + pw->spec.c_out;
            } else {
                mine.mean2 = part;
            }
        }
        conv2d_dw_pw_forward(&dw->spec, &pw->spec, pre, post ? &mine : NULL,
                             out + (size_t)i0 * out_img, keep ? keep + (size_t)i0 * mid_img : NULL,
                             in + (size_t)i0 * in_img, net->w + dw->w, net->w + pw->w, i1 - i0, h,
                             w, thread_scratch(net), layout);
    }
}

/* din += the block's input gradient (with pre: din = the gradient of the
 * BN output under the ReLU, conv.h, and with pre_sums that BN's backward
 * sums per group); its weight gradients += the groups' partial sums, added
 * in group order. With post, dout is the gradient of the BN after it. */
static void dwpw_backward(EvalNet *net, const ECv *dw, const ECv *pw, const ConvPre *pre,
                          int pre_sums, const ConvPost *post, float *din, const float *dout,
                          const float *in, const float *kept, int h, int w, int layout)
{
    int ho = conv_out_size(h, dw->spec.kh, dw->spec.stride, dw->spec.pad, dw->spec.dilation),
        wo = conv_out_size(w, dw->spec.kw, dw->spec.stride, dw->spec.pad, dw->spec.dilation);
    size_t in_img = (size_t)dw->spec.c_in * h * w, out_img = (size_t)pw->spec.c_out * ho * wo;
    size_t mid_img = (size_t)dw->spec.c_out * ho * wo;
    size_t ldw = conv_weight_count(&dw->spec), lpw = conv_weight_count(&pw->spec);
    groups_rebalance(net);
#pragma omp parallel if (net->n > 1)
    {
        for (GroupRun r = groups_mine(net); groups_next(net, &r);) {
            const int g = r.g, i0 = r.i0, i1 = r.i1;
            float *part = group_part(net, g);
            memset(part, 0, (ldw + lpw) * sizeof *part);
            ConvPre mpre;
            ConvPost mpost;
            if (pre_sums) {
                mpre = *pre;
                mpre.sg = group_bn_sums(net, g, dw->spec.c_in);
                mpre.sgx = mpre.sg + dw->spec.c_in;
            }
            if (post)
                mpost = post_from(post, i0, out_img);
            conv2d_dw_pw_backward(&dw->spec, &pw->spec, pre_sums ? &mpre : pre,
                                  post ? &mpost : NULL, din + (size_t)i0 * in_img, part, part + ldw,
                                  dout + (size_t)i0 * out_img, in + (size_t)i0 * in_img,
                                  kept ? kept + (size_t)i0 * mid_img : NULL, net->w + dw->w,
                                  net->w + pw->w, i1 - i0, h, w, thread_scratch(net), layout);
        }
#pragma omp barrier
        parts_sum(net, net->gw + dw->w, 0, ldw);
        parts_sum(net, net->gw + pw->w, ldw, lpw);
    }
}

/* ------------------------------------------------------------------ ReLU-conv1x1-BN */

/* in, from image i0 on: src (count pointers) moved i0 images on. */
static ConvCat cat_from(const ConvCat *in, const float **src, int i0, size_t per)
{
    for (int b = 0; b < in->count; b++)
        src[b] = in->src[b] + (size_t)i0 * per;
    return (ConvCat){src, in->count, in->c, in->phases, in->relu_done};
}

/* The convolutions outs[0..count) of in (conv2d_relu_cat_forward; their
 * post unset, their out the batch's) over the image groups; h x w: in's
 * map; with stats, each output's BN statistics per group, one after the
 * other in the group's part (ebn_stats_finish's off: 2 c_out each). */
/* The phases of out t of in: 2 for a FactorizedReduce of a one-phase
 * input (ConvCatOut.phases), else the input's. */
static int out_phases(const ConvCatOut *o, const ConvCat *in)
{
    return o->phases ? o->phases : in->phases;
}

static void cat_forward(EvalNet *net, const ConvCatOut *outs, int count, const ConvCat *in,
                        int stats, int h, int w)
{
    size_t per = (size_t)in->c * h * w;
    int sums_c = 0;
    for (int t = 0; t < count; t++)
        sums_c += out_phases(&outs[t], in) * outs[t].s->c_out;
    groups_rebalance(net);
#pragma omp parallel if (net->n > 1)
    for (GroupRun r = groups_mine(net); groups_next(net, &r);) {
        const int g = r.g, i0 = r.i0, i1 = r.i1;
        const float *src[CAT_MAX];
        ConvCat part = cat_from(in, src, i0, per);
        double *sums = stats ? group_bn_sums(net, g, sums_c) : NULL;
        ConvCatOut mine[EV_CAT_OUTS];
        ConvPost post[EV_CAT_OUTS];
        for (int t = 0; t < count; t++) {
            const int ph = out_phases(&outs[t], in), co = ph * outs[t].s->c_out;
            mine[t] = outs[t];
            mine[t].out += (size_t)i0 * outs[t].s->c_out * h * w / ph;
            post[t] = (ConvPost){.mean2 = sums};
            mine[t].post = stats ? &post[t] : NULL;
            sums += stats ? 2 * co : 0;
        }
        conv2d_relu_cat_forward(mine, count, &part, i1 - i0, h, w, thread_scratch(net));
    }
}

/* Their backward (outs' dout, the gradients of their BNs' outputs, and
 * post, the batch's): din += the input gradient through the ReLU; each
 * outs[t].dweight[k] (in net->gw) += weight k's gradient, the groups'
 * partial sums, side by side in a group's part, added in group order. */
static void cat_backward(EvalNet *net, const ConvCatOut *outs, int count, const ConvCat *in,
                         float *const *din, int h, int w)
{
    size_t per = (size_t)in->c * h * w, len[EV_CAT_OUTS], at[EV_CAT_OUTS], total = 0;
    for (int t = 0; t < count; t++) {
        len[t] = conv_weight_count(outs[t].s);
        at[t] = total;
        total += (size_t)out_phases(&outs[t], in) * len[t];
    }
    groups_rebalance(net);
#pragma omp parallel if (net->n > 1)
    {
        for (GroupRun r = groups_mine(net); groups_next(net, &r);) {
            const int g = r.g, i0 = r.i0, i1 = r.i1;
            const float *src[CAT_MAX];
            float *dsrc[CAT_MAX], *part = group_part(net, g), *dw[EV_CAT_OUTS][2];
            ConvCat mine = cat_from(in, src, i0, per);
            for (int b = 0; b < in->count; b++)
                dsrc[b] = din[b] + (size_t)i0 * per;
            memset(part, 0, total * sizeof *part);
            ConvCatOut gouts[EV_CAT_OUTS];
            ConvPost gpost[EV_CAT_OUTS];
            for (int t = 0; t < count; t++) {
                const size_t out_img = (size_t)outs[t].s->c_out * h * w / out_phases(&outs[t], in);
                gpost[t] = post_from(outs[t].post, i0, out_img);
                dw[t][0] = part + at[t];
                dw[t][1] = part + at[t] + len[t];
                gouts[t] = outs[t];
                gouts[t].post = &gpost[t];
                gouts[t].dout = outs[t].dout + (size_t)i0 * out_img;
                gouts[t].dweight = dw[t];
            }
            conv2d_relu_cat_backward(gouts, count, dsrc, &mine, i1 - i0, h, w, thread_scratch(net));
        }
#pragma omp barrier
        for (int t = 0; t < count; t++)
            for (int k = 0; k < out_phases(&outs[t], in); k++)
                parts_sum(net, outs[t].dweight[k], at[t] + (size_t)k * len[t], len[t]);
    }
}

void ev_relu_conv_bn_cat_forward(EvalNet *net, const ERcb *r, float *out, const ConvCat *in,
                                 const ERcb *const *also, int n_also, const EFr *fr)
{
    const float *wt[EV_CAT_OUTS][2];
    ConvCatOut outs[EV_CAT_OUTS];
    for (int t = 0; t <= n_also; t++) {
        const ERcb *q = t ? also[t - 1] : r;
        wt[t][0] = net->w + q->conv.w;
        outs[t] = (ConvCatOut){.s = &q->conv.spec, .weight = wt[t], .out = q->x};
    }
    const int count = 1 + n_also + (fr != NULL);
    if (fr) {
        wt[count - 1][0] = net->w + fr->a.w;
        wt[count - 1][1] = net->w + fr->b.w;
        outs[count - 1] =
            (ConvCatOut){.s = &fr->a.spec, .weight = wt[count - 1], .out = fr->x, .phases = 2};
    }
    const int fused = ev_stats_fused(net), hw = r->h * r->w;
    cat_forward(net, outs, count, in, fused, r->h, r->w);
    size_t off = 2 * (size_t)r->c_out;
    for (int t = 0; t < n_also; t++) {
        if (fused)
            ebn_stats_finish(net, &also[t]->bn, hw, off);
        off += 2 * (size_t)also[t]->c_out;
    }
    if (fr && fused)
        ebn_stats_finish(net, &fr->bn, fr->ho * fr->wo, off);
    if (out)
        ebn_out(net, &r->bn, &(EDest){out, NULL, 0, NULL}, r->x, hw, fused);
    else if (fused) /* its output never stored: its readers apply the BN */
        ebn_stats_finish(net, &r->bn, hw, 0);
    else
        ebn_stats(net, &r->bn, r->x, hw);
}

/* The BN of an input made by an earlier cell's kernels: its apply where
 * they took its statistics (ev_stats_fused), else its whole forward. */
static void ebn_made_earlier(EvalNet *net, const EBn *bn, const EDest *to, const float *in, int hw)
{
    if (ev_stats_fused(net))
        ebn_apply(net, bn, to, in, hw, 0);
    else
        ebn_to(net, bn, to, in, hw);
}

void ev_relu_conv_bn_apply(EvalNet *net, const ERcb *r, float *out)
{
    ebn_made_earlier(net, &r->bn, &(EDest){out, NULL, 0, NULL}, r->x, r->h * r->w);
}

void ev_relu_conv_bn_cat_backward(EvalNet *net, const ERcb *r, const float *dout, const ConvCat *in,
                                  float *const *din, const ERcb *const *also,
                                  const float *const *also_dout, int n_also,
                                  const float *const *coefs, const EFr *fr, const float *fr_dout)
{
    const float *wt[EV_CAT_OUTS][2];
    float *gw[EV_CAT_OUTS][2], *coef = net->bn_coef;
    ConvPost post[EV_CAT_OUTS];
    ConvCatOut outs[EV_CAT_OUTS];
    for (int t = 0; t <= n_also; t++) { /* their BNs' coefficients side by side */
        const ERcb *q = t ? also[t - 1] : r;
        const float *g = t ? also_dout[t - 1] : dout;
        post[t] = ebn_post(net, &q->bn, NULL, NULL, q->x);
        if (coefs && coefs[t]) {
            post[t].coef = coefs[t];
        } else {
            ebn_grad_coef(net, &q->bn, g, NULL, q->x, q->h * q->w, coef);
            post[t].coef = coef;
        }
        coef += 3 * (size_t)q->c_out;
        wt[t][0] = net->w + q->conv.w;
        gw[t][0] = net->gw + q->conv.w;
        outs[t] = (ConvCatOut){
            .s = &q->conv.spec, .weight = wt[t], .post = &post[t], .dout = g, .dweight = gw[t]};
    }
    const int count = 1 + n_also + (fr != NULL);
    if (fr) {
        const int t = count - 1;
        ebn_grad_coef(net, &fr->bn, fr_dout, NULL, fr->x, fr->ho * fr->wo, coef);
        post[t] = ebn_post(net, &fr->bn, NULL, NULL, fr->x);
        post[t].coef = coef;
        wt[t][0] = net->w + fr->a.w;
        wt[t][1] = net->w + fr->b.w;
        gw[t][0] = net->gw + fr->a.w;
        gw[t][1] = net->gw + fr->b.w;
        outs[t] = (ConvCatOut){.s = &fr->a.spec,
                               .weight = wt[t],
                               .post = &post[t],
                               .dout = fr_dout,
                               .dweight = gw[t],
                               .phases = 2};
    }
    cat_backward(net, outs, count, in, din, r->h, r->w);
}

/* ------------------------------------------------------------------ FactorizedReduce */

void ev_fact_red_forward(EvalNet *net, const EFr *f, const EDest *to, const ConvCat *in)
{
    const ConvCat two = {in->src, in->count, in->c, 2, 0};
    const float *wt[2] = {net->w + f->a.w, net->w + f->b.w};
    const int fused = ev_stats_fused(net);
    cat_forward(net, &(ConvCatOut){.s = &f->a.spec, .weight = wt, .out = f->x}, 1, &two, fused,
                f->h, f->w);
    ebn_out(net, &f->bn, to, f->x, f->ho * f->wo, fused);
}

void ev_fact_red_apply(EvalNet *net, const EFr *f, const EDest *to)
{
    ebn_made_earlier(net, &f->bn, to, f->x, f->ho * f->wo);
}

void ev_fact_red_backward(EvalNet *net, const EFr *f, const float *dout, const float *dout_scale,
                          const ConvCat *in, float *const *din)
{
    ebn_grad_coef(net, &f->bn, dout, dout_scale, f->x, f->ho * f->wo, net->bn_coef);
    const ConvPost post = ebn_post(net, &f->bn, NULL, dout_scale, f->x);
    const ConvCat two = {in->src, in->count, in->c, 2, 0};
    const float *wt[2] = {net->w + f->a.w, net->w + f->b.w};
    float *gw[2] = {net->gw + f->a.w, net->gw + f->b.w};
    cat_backward(
        net,
        &(ConvCatOut){.s = &f->a.spec, .weight = wt, .post = &post, .dout = dout, .dweight = gw}, 1,
        &two, din, f->h, f->w);
}

/* ------------------------------------------------------------------ SepConv / DilConv */

/* The ReLU that opens a sep_conv or dil_conv, made as its first block reads
 * the state; its gradient added into the state's. */
static const ConvPre state_relu = {.add = 1};

/* Whether a sep_conv's middle tensor, its first block's output (and its
 * gradient, and the first depthwise output), is kept in channels-last
 * blocks (conv.h's DWPW_*), where both blocks serve them and the BN
 * statistics come from the blocks (ebn_stats reads planes). */
static int sep_mid_cl(const EvalNet *net, const EOp *op)
{
    return op->blocks == 2 && ev_stats_fused(net) &&
           conv_dw_pw_cl(&op->dw[0].spec, &op->pw[0].spec, op->h, op->w) &&
           conv_dw_pw_cl(&op->dw[1].spec, &op->pw[1].spec, op->ho, op->wo);
}

/* Block b's layout (sep_mid_cl): the first block writes the middle CL, the
 * second reads it. */
static int block_layout(int mid_cl, int b)
{
    return !mid_cl ? 0 : b == 0 ? DWPW_OUT_CL : DWPW_IN_CL;
}

/* Each block's BN statistics are taken as the block makes its output
 * (stats_fused), so the BNs make one pass each: the last one's apply. */
void ev_sep_dil_forward(EvalNet *net, const EOp *op, const EDest *to, const float *in)
{
    const int hwo = op->ho * op->wo, fused = ev_stats_fused(net), cl = sep_mid_cl(net, op);
    const ConvPost stats = {0}, *post = fused ? &stats : NULL;
    float *const *x = op->x[0] ? op->x : net->sc.blk_x;
    for (int b = 0; b < op->blocks; b++) {
        const ConvPre pre = b == 0 ? state_relu : ebn_pre(net, &op->bn[0]);
        dwpw_forward(net, &op->dw[b], &op->pw[b], &pre, post, x[b], NULL, b == 0 ? in : x[0],
                     b == 0 ? op->h : op->ho, b == 0 ? op->w : op->wo, block_layout(cl, b));
        if (b + 1 < op->blocks) { /* the next block reads ReLU(BN(this)) */
            if (fused)
                ebn_stats_finish(net, &op->bn[b], hwo, 0);
            else
                ebn_stats(net, &op->bn[b], x[b], hwo);
        }
    }
    ebn_out(net, &op->bn[op->blocks - 1], to, x[op->blocks - 1], hwo, fused);
}

/* The last BN's backward sums from its kept input, group by group and image
 * by image as the forward run again takes them (post_sums): the same bits. */
static void kept_post_sums(EvalNet *net, const EBn *bn, const float *dout, const float *dout_scale,
                           const float *x, int hw)
{
    PROFILE_BEGIN;
    const int c = bn->c;
    const size_t img = (size_t)c * hw;
    groups_rebalance(net);
#pragma omp parallel if (net->n > 1)
    for (GroupRun r = groups_mine(net); groups_next(net, &r);) {
        const int g = r.g, i0 = r.i0, i1 = r.i1;
        double *sg = group_bn_sums(net, g, c);
        for (int i = i0; i < i1; i++)
            batchnorm_grad_sums_image(sg, sg + c, dout + i * img, dout_scale ? dout_scale[i] : 1.0f,
                                      x + i * img, bn->mean, c, hw);
    }
    PROFILE_END(PROF_BN, 4.0 * net->n * img);
}

/* Each block's BN backward is fused into the blocks (ConvPre.sg, ConvPost):
 * the last BN's sums taken from its kept input, or as the forward runs
 * again; the first's as the second block's backward makes its output
 * gradient; each BN's input gradient made image by image as the block's
 * backward reads it. */
void ev_sep_dil_backward(EvalNet *net, const EOp *op, float *din, const float *dout,
                         const float *dout_scale, const float *in, const EBn *bn, float *coef)
{
    ConvPre first = state_relu;
    if (bn) {
        first = ebn_pre(net, bn);
        first.add = 1;
    }
    const int hwo = op->ho * op->wo, last = op->blocks - 1, kept = op->x[0] != NULL,
              cl = sep_mid_cl(net, op);
    float *const *x = kept ? op->x : net->sc.blk_x;
    /* the depthwise outputs: made plane by plane by the blocks' backward, or
     * kept by the forward run again */
    float *const dw[2] = {kept ? NULL : net->sc.blk_dw[0], kept ? NULL : net->sc.blk_dw[1]};
    ConvPost post = ebn_post(net, &op->bn[last], dout, dout_scale, x[last]);
    if (kept) {
        kept_post_sums(net, &op->bn[last], dout, dout_scale, x[last], hwo);
    } else { /* the forward again, the same bits */
        dwpw_forward(net, &op->dw[0], &op->pw[0], &first, last == 0 ? &post : NULL, x[0], dw[0], in,
                     op->h, op->w, block_layout(cl, 0));
        if (op->blocks == 2) {
            const ConvPre pre = ebn_pre(net, &op->bn[0]);
            dwpw_forward(net, &op->dw[1], &op->pw[1], &pre, &post, x[1], dw[1], x[0], op->ho,
                         op->wo, block_layout(cl, 1));
        }
    }
    ebn_grad_finish(net, &op->bn[last], hwo);
    if (op->blocks == 2) {
        const ConvPre pre = ebn_pre(net, &op->bn[0]);
        dwpw_backward(net, &op->dw[1], &op->pw[1], &pre, 1, &post, net->sc.dmid, dout, x[0], dw[1],
                      op->ho, op->wo, block_layout(cl, 1));
        post = ebn_post(net, &op->bn[0], NULL, NULL, x[0]);
        dout = net->sc.dmid;
        ebn_grad_finish(net, &op->bn[0], hwo);
    }
    const int sums = bn && coef;
    dwpw_backward(net, &op->dw[0], &op->pw[0], &first, sums, &post, din, dout, in, dw[0], op->h,
                  op->w, block_layout(cl, 0));
    if (sums) {
        ebn_grad_finish(net, bn, op->h * op->w);
        memcpy(coef, net->bn_coef, 3 * (size_t)bn->c * sizeof *coef);
    }
}
