// Time-stepping loops that wait for the device after every step although the host reads
// nothing back until the end.
#include <cuda_runtime.h>

__global__ void diffuse(const float *u, float *u_next, float alpha, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i > 0 && i < n - 1) u_next[i] = u[i] + alpha * (u[i - 1] - 2.0f * u[i] + u[i + 1]);
}

__global__ void relax(float *x, const float *b, int n) {
//              ^^^^^ vectorization/vector-memory-access
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = 0.5f * (x[i] + b[i]);
}

// Ping-pong buffers swapped on the host between steps.
void diffuse_steps(float *d_u, float *d_v, int n, int steps) {
  for (int t = 0; t < steps; ++t) {
    diffuse<<<(n + 255) / 256, 256>>>(d_u, d_v, 0.1f, n);
//  ^^^^^^^^^^^^^^^^^^^^^ overlap/sync-transfer
    float *tmp = d_u;
    d_u = d_v;
    d_v = tmp;
  }
  // one wait after the loop (was one per iteration): launches on one stream already run in order
  cudaDeviceSynchronize();
}

// Sweeps on a caller's stream, waited on each time.
void relax_sweeps(float *d_x, const float *d_b, int n, int sweeps, cudaStream_t stream) {
  const int blocks = (n + 255) / 256;
  for (int k = 0; k < sweeps; ++k) {
    relax<<<blocks, 256, 0, stream>>>(d_x, d_b, n);
//  ^^^^^^^^^^^^^^^^^^^^^ overlap/sync-transfer
  }
  // one wait after the loop (was one per iteration): launches on one stream already run in order
  cudaStreamSynchronize(stream);
}
