#include <cuda_fp16.h>
// y = a*x + b over n halves, one element per thread
__global__ void axpb(const __half* __restrict__ x, __half* __restrict__ y, __half a, __half b, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __hadd(__hmul(a, x[i]), b);
}

void launch(const __half* x, __half* y, __half a, __half b, int n) {
  axpb<<<(n + 255) / 256, 256>>>(x, y, a, b, n);
}
