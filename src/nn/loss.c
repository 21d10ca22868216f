/* loss: see include/dartboard/loss.h
 *
 * Log-sum-exp with the row maximum subtracted, sums in double: the loss is
 * reported and compared across runs, so it should not wobble with rounding.
 */
#include "config.h"
#include "isa.h"
#include "dartboard/loss.h"

#include <math.h>
#include <stddef.h>

/* probs = softmax(row); returns log(sum(exp(row - max))) + max */
static double softmax_row(float *restrict probs, const float *restrict row, int k)
{
    float mx = row[0];
    for (int j = 1; j < k; j++)
        mx = row[j] > mx ? row[j] : mx;
    double s = 0.0;
    for (int j = 0; j < k; j++)
        s += exp((double)row[j] - mx);
    for (int j = 0; j < k; j++)
        probs[j] = (float)(exp((double)row[j] - mx) / s);
    return log(s) + mx;
}

float softmax_xent_forward(float *probs, const float *logits, const int *labels, int n, int k,
                           int *correct)
{
    double total = 0.0;
    int hits = 0;
    for (int i = 0; i < n; i++) {
        const float *row = logits + (size_t)i * k;
        double lse = softmax_row(probs + (size_t)i * k, row, k);
        total += lse - row[labels[i]];
        int best = 0; /* first maximum, like torch.argmax */
        for (int j = 1; j < k; j++)
            if (row[j] > row[best])
                best = j;
        hits += best == labels[i];
    }
    if (correct)
        *correct = hits;
    return (float)(total / n);
}

void softmax_xent_backward(float *dlogits, const float *probs, const int *labels, int n, int k,
                           float scale)
{
    const float f = scale / (float)n;
    for (int i = 0; i < n; i++) {
        const float *p = probs + (size_t)i * k;
        float *d = dlogits + (size_t)i * k;
        for (int j = 0; j < k; j++)
            d[j] += f * (p[j] - (j == labels[i] ? 1.0f : 0.0f));
    }
}

void softmax_rows(float *out, const float *in, int rows, int k)
{
    for (int r = 0; r < rows; r++)
        softmax_row(out + (size_t)r * k, in + (size_t)r * k, k);
}
