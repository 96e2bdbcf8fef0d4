// Single-token decode of a small llama-style model, the way single-file CUDA ports write it:
// a warp per row of each mat-vec, elementwise kernels after them, a block per head for the
// attention softmax, and a host loop that samples the next token from the logits it copies back.
#include <cuda_runtime.h>
#include <cmath>
#include <cstdio>

#define BLOCK_SIZE 256

typedef struct { int dim, hidden_dim, n_heads, vocab_size, seq_len; } Config;
typedef struct { float *x, *xb, *hb, *hb2, *att, *logits_gpu, *logits; } RunState;
typedef struct { const float *emb, *w1, *w2, *w3, *wcls; } Weights;

// a warp per output row, lanes striding the row, a shuffle tree at the end
__global__ void matvec_kernel(float* out, const float* x, const float* w, int n, int d) {
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (row >= d) return;
    float sum = 0.0f;
    for (int j = lane; j < n; j += 32) sum += w[row * n + j] * x[j];
    for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_down_sync(0xffffffff, sum, offset);
    if (lane == 0) out[row] = sum;
}

__global__ void silu_mul_kernel(float* hb, const float* hb2, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        float v = hb[i];
        hb[i] = v / (1.0f + expf(-v)) * hb2[i];
    }
}

__global__ void residual_kernel(float* x, const float* xb, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] += xb[i];
}

// a block per head over the scores of one token
__global__ void head_softmax_kernel(float* att, int pos, int seq_len) {
    __shared__ float red[BLOCK_SIZE];
    float* x = att + blockIdx.x * seq_len;
    int tid = threadIdx.x;
    int n = pos + 1;
    float m = -INFINITY;
    for (int i = tid; i < n; i += BLOCK_SIZE) m = fmaxf(m, x[i]);
    red[tid] = m;
    __syncthreads();
    for (int s = BLOCK_SIZE / 2; s > 0; s >>= 1) {
        if (tid < s) red[tid] = fmaxf(red[tid], red[tid + s]);
        __syncthreads();
    }
    m = red[0];
    __syncthreads();
    float sum = 0.0f;
    for (int i = tid; i < n; i += BLOCK_SIZE) {
        float e = expf(x[i] - m);
        x[i] = e;
        sum += e;
    }
    red[tid] = sum;
    __syncthreads();
    for (int s = BLOCK_SIZE / 2; s > 0; s >>= 1) {
        if (tid < s) red[tid] += red[tid + s];
        __syncthreads();
    }
    float inv = 1.0f / red[0];
    for (int i = tid; i < n; i += BLOCK_SIZE) x[i] *= inv;
}

static void matvec(float* out, const float* x, const float* w, int n, int d) {
    matvec_kernel<<<(d * 32 + BLOCK_SIZE - 1) / BLOCK_SIZE, BLOCK_SIZE>>>(out, x, w, n, d);
}

static void ffn(Config* p, RunState* s, Weights* w) {
    matvec(s->hb, s->xb, w->w1, p->dim, p->hidden_dim);
    matvec(s->hb2, s->xb, w->w3, p->dim, p->hidden_dim);
    silu_mul_kernel<<<(p->hidden_dim + BLOCK_SIZE - 1) / BLOCK_SIZE, BLOCK_SIZE>>>(s->hb, s->hb2, p->hidden_dim);
    matvec(s->xb, s->hb, w->w2, p->hidden_dim, p->dim);
    residual_kernel<<<(p->dim + BLOCK_SIZE - 1) / BLOCK_SIZE, BLOCK_SIZE>>>(s->x, s->xb, p->dim);
}

static void forward(Config* p, RunState* s, Weights* w, int token, int pos) {
    cudaMemcpy(s->x, w->emb + (size_t)token * p->dim, p->dim * sizeof(float), cudaMemcpyDeviceToDevice);
    ffn(p, s, w);
    head_softmax_kernel<<<p->n_heads, BLOCK_SIZE>>>(s->att, pos, p->seq_len);
    matvec(s->logits_gpu, s->x, w->wcls, p->dim, p->vocab_size);
    cudaMemcpy(s->logits, s->logits_gpu, p->vocab_size * sizeof(float), cudaMemcpyDeviceToHost);
}

static int argmax(const float* v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

void generate(Config* p, RunState* s, Weights* w, int steps) {
    int token = 1, next, pos = 0;
    while (pos < steps) {
        forward(p, s, w, token, pos);
        next = argmax(s->logits, p->vocab_size);
        printf("%d ", next);
        token = next;
        pos++;
    }
    printf("\n");
}
