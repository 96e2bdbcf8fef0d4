// Host-side batch processing: copy a chunk in, run the kernel, copy it out.
// The synchronous version is kept as the baseline for the streamed one.
#include <cstdio>
#include <cuda_runtime.h>
#include <vector>

#define CUDA_CHECK(expr)                                                          \
  do {                                                                            \
    cudaError_t e_ = (expr);                                                      \
    if (e_ != cudaSuccess) {                                                      \
      fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e_)); \
      return e_;                                                                  \
    }                                                                             \
  } while (0)

__global__ void normalize_u8_kernel(const unsigned char *in, float *out, float scale, float bias,
                                    int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = in[i] * scale + bias;
}

__global__ void clamp_inplace_kernel(float *x, float lo, float hi, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    x[i] = fminf(fmaxf(x[i], lo), hi);
  }
}

// Baseline: every chunk goes H2D -> kernels -> D2H with blocking copies.
cudaError_t process_sync(const unsigned char *h_in, float *h_out, size_t total, size_t chunk,
                         unsigned char *d_in, float *d_out) {
  for (size_t off = 0; off < total; off += chunk) {
    const int n = (int)((total - off) < chunk ? (total - off) : chunk);
    CUDA_CHECK(cudaMemcpy(d_in, h_in + off, n, cudaMemcpyHostToDevice));
    normalize_u8_kernel<<<(n + 255) / 256, 256>>>(d_in, d_out, 1.0f / 255.0f, -0.5f, n);
    clamp_inplace_kernel<<<(n + 255) / 256, 256>>>(d_out, -0.5f, 0.5f, n);
    CUDA_CHECK(cudaMemcpy(h_out + off, d_out, n * sizeof(float), cudaMemcpyDeviceToHost));
  }
  return cudaSuccess;
}

// Streamed: pinned host buffers (caller allocates with cudaHostAlloc), chunks
// round-robin over NSTREAMS streams so copies overlap kernels.
cudaError_t process_streams(const unsigned char *h_in_pinned, float *h_out_pinned, size_t total,
                            size_t chunk, unsigned char *d_in, float *d_out) {
  constexpr int NSTREAMS = 4;
  cudaStream_t streams[NSTREAMS];
  for (int s = 0; s < NSTREAMS; ++s) CUDA_CHECK(cudaStreamCreate(&streams[s]));

  int it = 0;
  for (size_t off = 0; off < total; off += chunk, ++it) {
    const int s = it % NSTREAMS;
    const int n = (int)((total - off) < chunk ? (total - off) : chunk);
    unsigned char *din = d_in + (size_t)s * chunk;
    float *dout = d_out + (size_t)s * chunk;
    CUDA_CHECK(cudaMemcpyAsync(din, h_in_pinned + off, n, cudaMemcpyHostToDevice, streams[s]));
    normalize_u8_kernel<<<(n + 255) / 256, 256, 0, streams[s]>>>(din, dout, 1.0f / 255.0f, -0.5f,
                                                                  n);
    CUDA_CHECK(cudaMemcpyAsync(h_out_pinned + off, dout, n * sizeof(float),
                               cudaMemcpyDeviceToHost, streams[s]));
  }
  for (int s = 0; s < NSTREAMS; ++s) {
    CUDA_CHECK(cudaStreamSynchronize(streams[s]));
    CUDA_CHECK(cudaStreamDestroy(streams[s]));
  }
  return cudaSuccess;
}

// Iterative solver: checks convergence on the host after every sweep.
__global__ void jacobi_sweep_kernel(const float *x, float *x_new, float *residual, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i > 0 && i < n - 1) {
    float v = 0.5f * (x[i - 1] + x[i + 1]);
    x_new[i] = v;
    atomicAdd(residual, fabsf(v - x[i]));
  }
}

cudaError_t jacobi_solve(float *d_x, float *d_tmp, float *d_res, int n, int max_iters, float tol,
                         int *iters_out) {
  int iter = 0;
  for (; iter < max_iters; ++iter) {
    CUDA_CHECK(cudaMemset(d_res, 0, sizeof(float)));
    jacobi_sweep_kernel<<<(n + 255) / 256, 256>>>(d_x, d_tmp, d_res, n);
    CUDA_CHECK(cudaDeviceSynchronize());
    float res = 0.0f;
    CUDA_CHECK(cudaMemcpy(&res, d_res, sizeof(float), cudaMemcpyDeviceToHost));
    float *t = d_x;
    d_x = d_tmp;
    d_tmp = t;
    if (res < tol) break;
  }
  *iters_out = iter;
  return cudaSuccess;
}

// Fixed-iteration variant: upload once, run all sweeps, download once.
cudaError_t jacobi_fixed(const std::vector<float> &h_x, std::vector<float> &h_y, float *d_x,
                         float *d_tmp, float *d_res, int sweeps) {
  const int n = (int)h_x.size();
  CUDA_CHECK(cudaMemcpy(d_x, h_x.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_tmp, d_x, n * sizeof(float), cudaMemcpyDeviceToDevice));
  for (int s = 0; s < sweeps; ++s) {
    jacobi_sweep_kernel<<<(n + 255) / 256, 256>>>(d_x, d_tmp, d_res, n);
    float *t = d_x;
    d_x = d_tmp;
    d_tmp = t;
  }
  h_y.resize(n);
  CUDA_CHECK(cudaMemcpy(h_y.data(), d_x, n * sizeof(float), cudaMemcpyDeviceToHost));
  return cudaSuccess;
}
