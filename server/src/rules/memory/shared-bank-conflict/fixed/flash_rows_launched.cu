// Flash-attention-style scores with the Q and K tiles in one `extern __shared__` buffer of
// rows of d floats: Qi[tx * d + x] puts the lanes of a warp d words apart, a 32-way conflict
// for d = 64. The fix pads every row to d + 1 floats: Kj's offset and the launch's dynamic
// shared-memory size grow with it.
#include <cuda_runtime.h>

__global__ void scores(const float* __restrict__ Q, const float* __restrict__ K, float* __restrict__ S, int d, int Bc) {
  // sram: rows padded from d to d + 1 elements, so a warp's column accesses fall in different banks
  extern __shared__ float sram[];
  const int tile = Bc * d;
  float* Qi = sram;
  float* Kj = &sram[Bc * (d + 1)];
  const int tx = threadIdx.x;
  for (int x = 0; x < d; x++) {
    Qi[tx * (d + 1) + x] = Q[blockIdx.x * tile + tx * d + x];
//                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ memory/uncoalesced-access
    Kj[tx * (d + 1) + x] = K[blockIdx.x * tile + tx * d + x];
//                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ memory/uncoalesced-access
  }
  __syncthreads();
  for (int y = 0; y < Bc; y++) {
    float sum = 0.0f;
    for (int x = 0; x < d; x++) sum += Qi[tx * (d + 1) + x] * Kj[y * (d + 1) + x];
//  ^^^^^^^^^^^^^^^^^^^^^^^^^^^ precision/tensor-core-eligible
//                                     ^^^^^^^^^^^^^^ memory/shared-bank-conflict
    S[(blockIdx.x * Bc + tx) * Bc + y] = sum;
//  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ memory/uncoalesced-access
  }
}

void launch_scores(const float* Q, const float* K, float* S, int blocks, int d, int Bc, cudaStream_t stream) {
  const size_t sram_size = 2 * Bc * (d + 1) * sizeof(float);
  scores<<<blocks, Bc, sram_size, stream>>>(Q, K, S, d, Bc);
}
