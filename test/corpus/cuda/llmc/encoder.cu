/*
GPT-2 positional encoder forward pass.
out[b,t,:] = wte[inp[b,t], :] + wpe[t, :]
*/
#include <assert.h>
#include "common.h"

// One thread per output element (b, t, c). Consecutive threads walk c, so
// the gather rows of wte and wpe are read with unit stride.
__global__ void encoder_forward_kernel1(floatX *out, const int *inp, const floatX *wte,
                                        const floatX *wpe, int B, int T, int C) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  int N = B * T * C;
  if (idx < N) {
    int bt = idx / C;
    int b = bt / T;
    int t = bt % T;
    int c = idx % C;
    int ix = inp[b * T + t];
    out[b * T * C + t * C + c] = (floatX)((float)wte[ix * C + c] + (float)wpe[t * C + c]);
  }
}

// Same mapping, x128::size channels per thread.
__global__ void encoder_forward_kernel3(floatX *out, const int *inp, const floatX *wte,
                                        const floatX *wpe, int B, int T, int C) {
  int idx = (blockIdx.x * blockDim.x + threadIdx.x) * x128::size;
  int N = B * T * C;
  if (idx >= N) {
    return;
  }
  int bt = idx / C;
  int b = bt / T;
  int t = bt % T;
  int c = idx % C;
  int ix = inp[b * T + t];

  floatX *out_btc = out + b * T * C + t * C + c;
  const floatX *wte_ix = wte + ix * C + c;
  const floatX *wpe_tc = wpe + t * C + c;

  x128 packed_out;
  x128 wte128 = load128cs(wte_ix);
  x128 wpe128 = load128cs(wpe_tc);
  for (int k = 0; k < x128::size; k++) {
    packed_out[k] = (floatX)((float)wte128[k] + (float)wpe128[k]);
  }
  store128(out_btc, packed_out);
}

void encoder_forward(floatX *out, const int *inp, const floatX *wte, const floatX *wpe, int B,
                     int T, int C, cudaStream_t stream) {
  assert(C % x128::size == 0);
  const int block_size = 256;
  const int N = B * T * C;
  const int grid_size = CEIL_DIV(N, (int)(block_size * x128::size));
  encoder_forward_kernel3<<<grid_size, block_size, 0, stream>>>(out, inp, wte, wpe, B, T, C);
  cudaCheck(cudaGetLastError());
}
