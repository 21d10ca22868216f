/* isa: the names of src/nn's functions in one instruction-set build of it.
 *
 * A portable build on x86-64 compiles every file of src/nn three times: for
 * the x86-64 baseline, for AVX2+FMA and for AVX-512 (configure's
 * NN_AVX2_CFLAGS and NN_AVX512_CFLAGS; NN_ISA names the build). Each build
 * gets its own names -- conv2d_forward becomes conv2d_forward_avx2 -- and
 * dispatch.c binds the public names to the widest build the CPU runs, once,
 * when the program loads. So one binary runs on any x86-64 and still uses
 * AVX-512 where there is one; the numerics of a machine do not depend on
 * the thread count, as before.
 *
 * Included first by every source file of src/nn (before the headers that
 * declare these names). Without NN_DISPATCH (--enable-native, or a machine
 * that is not x86-64, or NN_ONE_BUILD: the fuzz harnesses compile src/nn once,
 * for the baseline) it changes nothing.
 *
 * A function added to src/nn goes here twice: its #define below, and in
 * NN_DISPATCHED_FUNCTIONS if code outside src/nn calls it. A name missing
 * from either list fails the link (three definitions, or none).
 */
#ifndef DARTBOARD_NN_ISA_H
#define DARTBOARD_NN_ISA_H

#if NN_DISPATCH && !defined(NN_ONE_BUILD)

/* Every function of src/nn that code outside it calls. */
#define NN_DISPATCHED_FUNCTIONS(X)                                                                 \
    X(relu_forward)                                                                                \
    X(relu_backward)                                                                               \
    X(batchnorm_forward_train)                                                                     \
    X(batchnorm_forward_eval)                                                                      \
    X(batchnorm_forward_train_to)                                                                  \
    X(batchnorm_forward_eval_to)                                                                   \
    X(batchnorm_backward)                                                                          \
    X(batchnorm_backward_scaled)                                                                   \
    X(batchnorm_backward_set)                                                                      \
    X(batchnorm_stats_image)                                                                       \
    X(batchnorm_stats_merge)                                                                       \
    X(batchnorm_stats_finish)                                                                      \
    X(batchnorm_grad_sums)                                                                         \
    X(batchnorm_grad_sums_image)                                                                   \
    X(batchnorm_grad_finish)                                                                       \
    X(batchnorm_input_grad_image)                                                                  \
    X(channel_copy)                                                                                \
    X(channel_accumulate)                                                                          \
    X(shift1_forward)                                                                              \
    X(shift1_backward)                                                                             \
    X(subsample2_forward)                                                                          \
    X(subsample2_backward)                                                                         \
    X(conv_out_size)                                                                               \
    X(conv_weight_count)                                                                           \
    X(conv_scratch_floats)                                                                         \
    X(conv2d_forward)                                                                              \
    X(conv2d_backward)                                                                             \
    X(conv2d_backward_set)                                                                         \
    X(conv_dw_pw_scratch_floats)                                                                   \
    X(conv_dw_pw_cl)                                                                               \
    X(conv2d_dw_pw_forward)                                                                        \
    X(conv2d_dw_pw_backward_pw)                                                                    \
    X(conv2d_dw_pw_backward)                                                                       \
    X(conv_relu_cat_scratch_floats)                                                                \
    X(conv_relu_cat_fr_scratch_floats)                                                             \
    X(conv2d_relu_cat_forward)                                                                     \
    X(conv2d_relu_cat_backward)                                                                    \
    X(conv2d_forward_naive)                                                                        \
    X(conv2d_backward_naive)                                                                       \
    X(linear_forward)                                                                              \
    X(linear_backward)                                                                             \
    X(softmax_xent_forward)                                                                        \
    X(softmax_xent_backward)                                                                       \
    X(softmax_rows)                                                                                \
    X(pool3x3_out_size)                                                                            \
    X(maxpool3x3_forward)                                                                          \
    X(maxpool3x3_backward)                                                                         \
    X(avgpool3x3_forward)                                                                          \
    X(maxpool3x3_forward_pre)                                                                      \
    X(maxpool3x3_backward_pre)                                                                     \
    X(avgpool3x3_forward_pre)                                                                      \
    X(avgpool3x3_backward)                                                                         \
    X(global_avgpool_forward)                                                                      \
    X(global_avgpool_backward)                                                                     \
    X(maxpool3x3_forward_naive)                                                                    \
    X(avgpool3x3_forward_naive)                                                                    \
    X(avgpool_window_out_size)                                                                     \
    X(avgpool_window_forward)                                                                      \
    X(avgpool_window_backward)                                                                     \
    X(avgpool_window_forward_naive)                                                                \
    X(droppath_forward)                                                                            \
    X(droppath_backward)                                                                           \
    X(droppath_forward_naive)

#ifndef NN_ISA
#define NN_ISA base
#endif
#define NN_ISA_PASTE2(name, isa) name##_##isa
#define NN_ISA_PASTE(name, isa) NN_ISA_PASTE2(name, isa)
#define NN_ISA_NAME(name) NN_ISA_PASTE(name, NN_ISA)

#ifndef NN_DISPATCH_TABLE /* dispatch.c sees the public names */
#define relu_forward NN_ISA_NAME(relu_forward)
#define relu_backward NN_ISA_NAME(relu_backward)
#define batchnorm_forward_train NN_ISA_NAME(batchnorm_forward_train)
#define batchnorm_forward_eval NN_ISA_NAME(batchnorm_forward_eval)
#define batchnorm_forward_train_to NN_ISA_NAME(batchnorm_forward_train_to)
#define batchnorm_forward_eval_to NN_ISA_NAME(batchnorm_forward_eval_to)
#define batchnorm_backward NN_ISA_NAME(batchnorm_backward)
#define batchnorm_backward_scaled NN_ISA_NAME(batchnorm_backward_scaled)
#define batchnorm_backward_set NN_ISA_NAME(batchnorm_backward_set)
#define batchnorm_stats_image NN_ISA_NAME(batchnorm_stats_image)
#define batchnorm_stats_merge NN_ISA_NAME(batchnorm_stats_merge)
#define batchnorm_stats_finish NN_ISA_NAME(batchnorm_stats_finish)
#define batchnorm_grad_sums NN_ISA_NAME(batchnorm_grad_sums)
#define batchnorm_grad_sums_image NN_ISA_NAME(batchnorm_grad_sums_image)
#define batchnorm_grad_finish NN_ISA_NAME(batchnorm_grad_finish)
#define batchnorm_input_grad_image NN_ISA_NAME(batchnorm_input_grad_image)
#define channel_copy NN_ISA_NAME(channel_copy)
#define channel_accumulate NN_ISA_NAME(channel_accumulate)
#define shift1_forward NN_ISA_NAME(shift1_forward)
#define shift1_backward NN_ISA_NAME(shift1_backward)
#define subsample2_forward NN_ISA_NAME(subsample2_forward)
#define subsample2_backward NN_ISA_NAME(subsample2_backward)
#define conv_out_size NN_ISA_NAME(conv_out_size)
#define conv_weight_count NN_ISA_NAME(conv_weight_count)
#define conv_scratch_floats NN_ISA_NAME(conv_scratch_floats)
#define conv2d_forward NN_ISA_NAME(conv2d_forward)
#define conv2d_backward NN_ISA_NAME(conv2d_backward)
#define conv2d_backward_set NN_ISA_NAME(conv2d_backward_set)
#define conv_dw_pw_scratch_floats NN_ISA_NAME(conv_dw_pw_scratch_floats)
#define conv_dw_pw_cl NN_ISA_NAME(conv_dw_pw_cl)
#define conv2d_dw_pw_forward NN_ISA_NAME(conv2d_dw_pw_forward)
#define conv2d_dw_pw_backward_pw NN_ISA_NAME(conv2d_dw_pw_backward_pw)
#define conv2d_dw_pw_backward NN_ISA_NAME(conv2d_dw_pw_backward)
#define conv_relu_cat_scratch_floats NN_ISA_NAME(conv_relu_cat_scratch_floats)
#define conv_relu_cat_fr_scratch_floats NN_ISA_NAME(conv_relu_cat_fr_scratch_floats)
#define conv2d_relu_cat_forward NN_ISA_NAME(conv2d_relu_cat_forward)
#define conv2d_relu_cat_backward NN_ISA_NAME(conv2d_relu_cat_backward)
#define conv2d_forward_naive NN_ISA_NAME(conv2d_forward_naive)
#define conv2d_backward_naive NN_ISA_NAME(conv2d_backward_naive)
#define linear_forward NN_ISA_NAME(linear_forward)
#define linear_backward NN_ISA_NAME(linear_backward)
#define softmax_xent_forward NN_ISA_NAME(softmax_xent_forward)
#define softmax_xent_backward NN_ISA_NAME(softmax_xent_backward)
#define softmax_rows NN_ISA_NAME(softmax_rows)
#define pool3x3_out_size NN_ISA_NAME(pool3x3_out_size)
#define maxpool3x3_forward NN_ISA_NAME(maxpool3x3_forward)
#define maxpool3x3_backward NN_ISA_NAME(maxpool3x3_backward)
#define avgpool3x3_forward NN_ISA_NAME(avgpool3x3_forward)
#define maxpool3x3_forward_pre NN_ISA_NAME(maxpool3x3_forward_pre)
#define maxpool3x3_backward_pre NN_ISA_NAME(maxpool3x3_backward_pre)
#define avgpool3x3_forward_pre NN_ISA_NAME(avgpool3x3_forward_pre)
#define avgpool3x3_backward NN_ISA_NAME(avgpool3x3_backward)
#define global_avgpool_forward NN_ISA_NAME(global_avgpool_forward)
#define global_avgpool_backward NN_ISA_NAME(global_avgpool_backward)
#define maxpool3x3_forward_naive NN_ISA_NAME(maxpool3x3_forward_naive)
#define avgpool3x3_forward_naive NN_ISA_NAME(avgpool3x3_forward_naive)
#define avgpool_window_out_size NN_ISA_NAME(avgpool_window_out_size)
#define avgpool_window_forward NN_ISA_NAME(avgpool_window_forward)
#define avgpool_window_backward NN_ISA_NAME(avgpool_window_backward)
#define avgpool_window_forward_naive NN_ISA_NAME(avgpool_window_forward_naive)
#define droppath_forward NN_ISA_NAME(droppath_forward)
#define droppath_backward NN_ISA_NAME(droppath_backward)
#define droppath_forward_naive NN_ISA_NAME(droppath_forward_naive)
/* internal to src/nn: each build calls its own */
#define gemm_small NN_ISA_NAME(gemm_small)
#define gemm_small_relu_add NN_ISA_NAME(gemm_small_relu_add)
#define plane_plan NN_ISA_NAME(plane_plan)
#define plane_clear NN_ISA_NAME(plane_clear)
#define plane_fill NN_ISA_NAME(plane_fill)
#define plane_unfill_add NN_ISA_NAME(plane_unfill_add)
#define dwvec_plan NN_ISA_NAME(dwvec_plan)
#define dwvec_tile_floats NN_ISA_NAME(dwvec_tile_floats)
#define dwvec_out_floats NN_ISA_NAME(dwvec_out_floats)
#define dwvec_clear NN_ISA_NAME(dwvec_clear)
#define dwvec_pack NN_ISA_NAME(dwvec_pack)
#define dwvec_corr NN_ISA_NAME(dwvec_corr)
#define dwvec_wgrad NN_ISA_NAME(dwvec_wgrad)
#define dwvec_pack_cl NN_ISA_NAME(dwvec_pack_cl)
#define dwvec_corr_cl NN_ISA_NAME(dwvec_corr_cl)
#define dwvec_cl_product NN_ISA_NAME(dwvec_cl_product)
#define dwvec_cl_wgrad NN_ISA_NAME(dwvec_cl_wgrad)
#define dwvec_bn_stats NN_ISA_NAME(dwvec_bn_stats)
#define dwvec_bn_grad_sums NN_ISA_NAME(dwvec_bn_grad_sums)
#define dwvec_bn_input_grad NN_ISA_NAME(dwvec_bn_input_grad)
#endif

#endif
#endif
