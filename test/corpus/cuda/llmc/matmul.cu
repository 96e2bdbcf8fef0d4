/*
Linear layer forward: out[bt, oc] = inp[bt, :] . weight[oc, :] + bias[oc]
inp (B*T, C), weight (OC, C) row-major, out (B*T, OC).
*/
#include "common.h"

// CPU path, used when the model runs without a GPU.
void matmul_forward_cpu(float *out, const float *inp, const float *weight, const float *bias,
                        int BT, int C, int OC) {
  for (int bt = 0; bt < BT; bt++) {
    for (int o = 0; o < OC; o++) {
      float val = (bias != NULL) ? bias[o] : 0.0f;
      for (int i = 0; i < C; i++) {
        val += inp[bt * C + i] * weight[o * C + i];
      }
      out[bt * OC + o] = val;
    }
  }
}

// Naive kernel: thread (x, y) computes out[bt = x, oc = y] with a full dot product.
__global__ void matmul_forward_kernel1(float *out, const float *inp, const float *weight, int BT,
                                       int C, int OC) {
  int bt = blockIdx.x * blockDim.x + threadIdx.x;
  int oc = blockIdx.y * blockDim.y + threadIdx.y;
  if (bt < BT && oc < OC) {
    float val = 0.0f;
    const float *inp_bt = inp + bt * C;
    const float *wrow = weight + oc * C;
    for (int i = 0; i < C; i++) {
      val += inp_bt[i] * wrow[i];
    }
    out[bt * OC + oc] = val;
  }
}

// Separate bias pass over the matmul output.
__global__ void add_bias_f32_kernel(float *out, const float *bias, int BT, int OC) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  for (int i = idx; i < BT * OC; i += gridDim.x * blockDim.x) {
    out[i] += bias[i % OC];
  }
}

// 32x32 shared-memory tiles, one output per thread, bias added in the epilogue.
// weight is (OC, C) so the B tile is read transposed out of global memory.
#define TILE 32
__global__ void matmul_forward_tiled_kernel(float *out, const float *inp, const float *weight,
                                            const float *bias, int BT, int C, int OC) {
  __shared__ float s_inp[TILE][TILE];
  __shared__ float s_w[TILE][TILE + 1];

  int tx = threadIdx.x, ty = threadIdx.y;
  int row = blockIdx.y * TILE + ty;       // bt
  int col = blockIdx.x * TILE + tx;       // oc
  int w_row = blockIdx.x * TILE + ty;     // oc row loaded by this thread

  float acc = 0.0f;
  for (int k0 = 0; k0 < C; k0 += TILE) {
    s_inp[ty][tx] = (row < BT && k0 + tx < C) ? inp[row * C + k0 + tx] : 0.0f;
    s_w[ty][tx] = (w_row < OC && k0 + tx < C) ? weight[w_row * C + k0 + tx] : 0.0f;
    __syncthreads();
#pragma unroll
    for (int k = 0; k < TILE; k++) {
      acc += s_inp[ty][k] * s_w[tx][k];
    }
    __syncthreads();
  }
  if (row < BT && col < OC) {
    out[row * OC + col] = acc + (bias != nullptr ? bias[col] : 0.0f);
  }
}

// Unfused path: matmul, then a second kernel for the bias.
void matmul_forward(float *out, const float *inp, const float *weight, const float *bias, int BT,
                    int C, int OC, cudaStream_t stream) {
  dim3 block(16, 16);
  dim3 grid(CEIL_DIV(BT, 16), CEIL_DIV(OC, 16));
  matmul_forward_kernel1<<<grid, block, 0, stream>>>(out, inp, weight, BT, C, OC);
  if (bias != nullptr) {
    add_bias_f32_kernel<<<CEIL_DIV(BT * OC, 256), 256, 0, stream>>>(out, bias, BT, OC);
  }
  cudaCheck(cudaGetLastError());
}

void matmul_forward_fused(float *out, const float *inp, const float *weight, const float *bias,
                          int BT, int C, int OC, cudaStream_t stream) {
  dim3 block(TILE, TILE);
  dim3 grid(CEIL_DIV(OC, TILE), CEIL_DIV(BT, TILE));
  matmul_forward_tiled_kernel<<<grid, block, 0, stream>>>(out, inp, weight, bias, BT, C, OC);
  cudaCheck(cudaGetLastError());
}
