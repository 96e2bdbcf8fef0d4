/*
Causal multi-head self-attention forward, reference path.
inp is (B, T, 3C) holding Q, K, V; preatt and att are (B, NH, T, T); out is (B, T, C).
The three steps run as separate kernels and materialize the T x T scores.
*/
#include <float.h>
#include "common.h"

// One thread per (b, h, t, t2) score. Consecutive threads take consecutive t2,
// i.e. consecutive key tokens, and each loops over the head dimension.
__global__ void attention_query_key_kernel(float *preatt, const float *inp, int B, int T, int C,
                                           int NH) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  int total_threads = B * NH * T * T;

  if (idx < total_threads) {
    int t2 = idx % T;
    int t = (idx / T) % T;
    if (t2 > t) {
      // causal mask
      preatt[idx] = -INFINITY;
      return;
    }
    int h = (idx / (T * T)) % NH;
    int b = idx / (NH * T * T);

    int C3 = C * 3;
    int hs = C / NH;  // head size
    const float *query_t = inp + b * T * C3 + t * C3 + h * hs;
    const float *key_t2 = inp + b * T * C3 + t2 * C3 + h * hs + C;  // +C because it's key

    // (query_t) dot (key_t2)
    float val = 0.0f;
    for (int i = 0; i < hs; i++) {
      val += query_t[i] * key_t2[i];
    }
    val *= 1.0f / sqrtf(hs);

    preatt[idx] = val;
  }
}

// One thread per (b, h, t) row of the score matrix: max, exp-sum, normalize.
__global__ void attention_softmax_kernel(float *att, const float *preatt, int B, int T, int NH) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  int total_threads = B * T * NH;

  if (idx < total_threads) {
    int h = idx % NH;
    int t = (idx / NH) % T;
    int b = idx / (NH * T);

    const float *preatt_bth = preatt + b * NH * T * T + h * T * T + t * T;
    float *att_bth = att + b * NH * T * T + h * T * T + t * T;

    float maxval = -FLT_MAX;
    for (int t2 = 0; t2 <= t; t2++) {
      if (preatt_bth[t2] > maxval) {
        maxval = preatt_bth[t2];
      }
    }
    float expsum = 0.0f;
    for (int t2 = 0; t2 <= t; t2++) {
      float expv = expf(preatt_bth[t2] - maxval);
      expsum += expv;
      att_bth[t2] = expv;
    }
    float expsum_inv = expsum == 0.0f ? 0.0f : 1.0f / expsum;
    for (int t2 = 0; t2 < T; t2++) {
      if (t2 <= t) {
        att_bth[t2] *= expsum_inv;
      } else {
        att_bth[t2] = 0.0f;
      }
    }
  }
}

// One thread per (b, t, h): out[b,t,h,:] = sum_t2 att[b,h,t,t2] * v[b,t2,h,:]
__global__ void attention_value_kernel(float *out, const float *att, const float *inp, int B, int T,
                                       int C, int NH) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  int total_threads = B * T * NH;

  if (idx < total_threads) {
    int h = idx % NH;
    int t = (idx / NH) % T;
    int b = idx / (NH * T);

    int C3 = C * 3;
    int hs = C / NH;
    float *out_bth = out + b * T * C + t * C + h * hs;
    const float *att_bth = att + b * NH * T * T + h * T * T + t * T;

    for (int i = 0; i < hs; i++) {
      out_bth[i] = 0.0f;
    }
    for (int t2 = 0; t2 <= t; t2++) {
      const float *value_t2 = inp + b * T * C3 + t2 * C3 + h * hs + C * 2;
      float att_btht2 = att_bth[t2];
      for (int i = 0; i < hs; i++) {
        out_bth[i] += att_btht2 * value_t2[i];
      }
    }
  }
}

void attention_forward(float *out, float *preatt, float *att, const float *inp, int B, int T, int C,
                       int NH, cudaStream_t stream) {
  const int block_size = 256;
  int total_threads = B * NH * T * T;
  int num_blocks = CEIL_DIV(total_threads, block_size);
  attention_query_key_kernel<<<num_blocks, block_size, 0, stream>>>(preatt, inp, B, T, C, NH);
  total_threads = B * T * NH;
  num_blocks = CEIL_DIV(total_threads, block_size);
  attention_softmax_kernel<<<num_blocks, block_size, 0, stream>>>(att, preatt, B, T, NH);
  attention_value_kernel<<<num_blocks, block_size, 0, stream>>>(out, att, inp, B, T, C, NH);
  cudaCheck(cudaGetLastError());
}
