/* loss: softmax cross-entropy averaged over the batch, with top-1 accuracy. */
#ifndef DARTBOARD_LOSS_H
#define DARTBOARD_LOSS_H

/* Returns the mean loss over n rows of k logits; writes softmax probabilities
 * to probs (n*k) for the backward, and the number of rows whose arg-max equals
 * the label to *correct (if not NULL). Labels are in [0, k). */
float softmax_xent_forward(float *probs, const float *logits, const int *labels, int n, int k,
                           int *correct);
/* dlogits (n*k) += scale * (probs - onehot(labels)) / n. */
void softmax_xent_backward(float *dlogits, const float *probs, const int *labels, int n, int k,
                           float scale);
/* Row-wise softmax of rows x k values (alphas, float32 out). */
void softmax_rows(float *out, const float *in, int rows, int k);

#endif
