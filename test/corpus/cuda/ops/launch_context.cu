// Extension kernels whose meaning is set where they are launched or called: lambdas a kernel
// calls, template arguments that differ between launches, a tensor's strides passed at the
// launch, ATen's type dispatch, and tensor-core tiles read with ldmatrix in inline PTX.
#include <torch/extension.h>
#include <ATen/Dispatch.h>
#include <cuda_fp16.h>
#include <stdint.h>

__global__ void encode_dirs(const float* __restrict__ dirs, int n, int coeffs, float* __restrict__ basis) {
  int p = blockIdx.x * blockDim.x + threadIdx.x;
  if (p >= n) return;
  float z = dirs[p];
  float* row = basis + p * coeffs;
  auto put = [&](int slot, float value) { row[slot] = value; };
  put(3, 0.49f * z);
}

template <int D, int C>
__global__ void level_grads(const float* __restrict__ pos, int items, int levels, float* __restrict__ grad) {
  int item = blockIdx.x * blockDim.x + threadIdx.x;
  if (item >= items) return;
  float p = pos[item] * (float)(blockIdx.y + 1);
  float* out = grad + item * levels * D * C + blockIdx.y * D * C;
  for (int d = 0; d < D; d++)
    for (int c = 0; c < C; c++) out[d * C + c] = p * (float)(d + c);
}

__global__ void lerp_by_stride(int64_t n, int64_t wstride, const float* __restrict__ w, const float* __restrict__ a,
                               const float* __restrict__ b, float* __restrict__ out) {
  int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float t = w[i * wstride];
  out[i] = a[i] + t * (b[i] - a[i]);
}

template <typename T>
__global__ void adam_moments(int n, T* __restrict__ param, const T* __restrict__ grad, T* __restrict__ m, T* __restrict__ v, float lr) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float g = grad[i];
  float mi = 0.9f * m[i] + 0.1f * g;
  float vi = 0.999f * v[i] + 0.001f * g * g;
  param[i] -= lr * mi / (sqrtf(vi) + 1e-8f);
  m[i] = mi;
  v[i] = vi;
}

template <typename T>
__global__ void shift_scale(int n, const T* __restrict__ x, T* __restrict__ y, float s, float b) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i] * s + b;
}

void run_context(torch::Tensor pos, torch::Tensor grad, torch::Tensor dirs, torch::Tensor basis, torch::Tensor w,
                 torch::Tensor a, torch::Tensor b, torch::Tensor out, int levels, int coeffs, bool wide, float lr) {
  const int n = a.size(0);
  encode_dirs<<<(n + 127) / 128, 128>>>(dirs.data_ptr<float>(), n, coeffs, basis.data_ptr<float>());
  dim3 grid((n + 255) / 256, levels);
  if (wide) level_grads<3, 4><<<grid, 256>>>(pos.data_ptr<float>(), n, levels, grad.data_ptr<float>());
  else level_grads<3, 2><<<grid, 256>>>(pos.data_ptr<float>(), n, levels, grad.data_ptr<float>());
  const int64_t ws = w.stride(0);
  lerp_by_stride<<<(n + 255) / 256, 256>>>(n, ws, w.data_ptr<float>(), a.data_ptr<float>(), b.data_ptr<float>(), out.data_ptr<float>());
  AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "adam_moments", [&] {
    adam_moments<scalar_t><<<(n + 255) / 256, 256>>>(n, a.data_ptr<scalar_t>(), b.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), lr);
    shift_scale<scalar_t><<<(n + 255) / 256, 256>>>(n, a.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), lr, 1.f);
  });
}

__global__ void frag_reads(const half* __restrict__ a, float* out, int steps) {
  __shared__ half tile[64 * 64];
  unsigned r[4] = {0, 0, 0, 0};
  for (int s = 0; s < steps; ++s) {
    for (int i = threadIdx.x; i < 64 * 64 / 8; i += 32) *(uint4*)&tile[i * 8] = *(const uint4*)&a[s * 4096 + i * 8];
    __syncthreads();
    for (int k = 0; k < 64; k += 16) {
      uint32_t addr = __cvta_generic_to_shared(&tile[(threadIdx.x & 15) * 64 + k + (threadIdx.x >> 4) * 8]);
      asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(addr));
    }
    __syncthreads();
  }
  out[blockIdx.x * 32 + threadIdx.x] = __uint_as_float(r[0] ^ r[1] ^ r[2] ^ r[3]);
}

__global__ void frag_reads_padded(const half* __restrict__ a, float* out, int steps) {
  __shared__ half tile[64 * 72];
  unsigned r[4] = {0, 0, 0, 0};
  for (int s = 0; s < steps; ++s) {
    for (int i = threadIdx.x; i < 64 * 8; i += 32) *(uint4*)&tile[(i >> 3) * 72 + (i & 7) * 8] = *(const uint4*)&a[s * 4096 + i * 8];
    __syncthreads();
    for (int k = 0; k < 64; k += 16) {
      uint32_t addr = __cvta_generic_to_shared(&tile[(threadIdx.x & 15) * 72 + k + (threadIdx.x >> 4) * 8]);
      asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(addr));
    }
    __syncthreads();
  }
  out[blockIdx.x * 32 + threadIdx.x] = __uint_as_float(r[0] ^ r[1] ^ r[2] ^ r[3]);
}

void run_frags(const half* a, float* out, int steps, int blocks) {
  frag_reads<<<blocks, 32>>>(a, out, steps);
  frag_reads_padded<<<blocks, 32>>>(a, out, steps);
}
