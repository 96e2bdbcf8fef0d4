// Direct NCHW convolution and a 1-D filter, naive and shared-memory tiled.
#include "conv.cuh"

// 1-D filter mask in constant memory.
__constant__ float c_filter[FILTER_WIDTH];

// One thread per output pixel (n, k, p, q); q is the fast index. The window loop
// re-reads input pixels that the neighbouring threads also read.
__global__ void conv2d_direct_nchw(const float *in, const float *weight, float *out,
                                   ConvShape s) {
  const int P = s.P(), Q = s.Q();
  const int q = blockIdx.x * blockDim.x + threadIdx.x;
  const int p = blockIdx.y;
  const int nk = blockIdx.z;
  const int n = nk / s.K, k = nk % s.K;
  if (q >= Q) return;

  float acc = 0.0f;
  for (int c = 0; c < s.C; ++c) {
    for (int r = 0; r < s.R; ++r) {
      const int h = p * s.stride - s.pad + r;
      if (h < 0 || h >= s.H) continue;
      for (int t = 0; t < s.S; ++t) {
        const int w = q * s.stride - s.pad + t;
        if (w < 0 || w >= s.W) continue;
        acc += in[((n * s.C + c) * s.H + h) * s.W + w] *
               weight[((k * s.C + c) * s.R + r) * s.S + t];
      }
    }
  }
  out[((n * s.K + k) * P + p) * Q + q] = acc;
}

// 1-D convolution with a constant-memory mask; the halo is re-read from global.
__global__ void conv1d_naive(const float *in, float *out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float acc = 0.0f;
  for (int j = -FILTER_RADIUS; j <= FILTER_RADIUS; ++j) {
    const int src = clamp_int(i + j, 0, n - 1);
    acc += c_filter[j + FILTER_RADIUS] * in[src];
  }
  out[i] = acc;
}

// 1-D convolution over a (rows x n) batch with the filter passed in global memory.
// Each thread reads a sliding window of its row: input[row * n + i + j].
__global__ void conv1d_rows_naive(const float *input, const float *filt, float *output, int rows,
                                  int n, int width) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const int row = blockIdx.y;
  if (i >= n - width + 1 || row >= rows) return;
  float acc = 0.0f;
  for (int j = 0; j < width; ++j) {
    acc += input[row * n + i + j] * filt[j];
  }
  output[row * (n - width + 1) + i] = acc;
}

// Same 1-D filter, block input tile + halo staged in shared memory once.
__global__ void conv1d_tiled(const float *in, float *out, int n) {
  __shared__ float tile[256 + 2 * FILTER_RADIUS];
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const int base = blockIdx.x * blockDim.x - FILTER_RADIUS;
  for (int t = threadIdx.x; t < blockDim.x + 2 * FILTER_RADIUS; t += blockDim.x) {
    tile[t] = in[clamp_int(base + t, 0, n - 1)];
  }
  __syncthreads();
  if (i >= n) return;
  float acc = 0.0f;
#pragma unroll
  for (int j = 0; j < FILTER_WIDTH; ++j) {
    acc += c_filter[j] * tile[threadIdx.x + j];
  }
  out[i] = acc;
}

// 2-D tiled conv for one input channel plane with a square filter of width
// FILTER_WIDTH; block (IN_TILE, IN_TILE) loads the tile including halo.
__global__ void conv2d_plane_tiled(const float *in, const float *filt, float *out, int H, int W) {
  __shared__ float tile[IN_TILE][IN_TILE];
  const int col = blockIdx.x * OUT_TILE + threadIdx.x - FILTER_RADIUS;
  const int row = blockIdx.y * OUT_TILE + threadIdx.y - FILTER_RADIUS;
  tile[threadIdx.y][threadIdx.x] =
      (row >= 0 && row < H && col >= 0 && col < W) ? in[row * W + col] : 0.0f;
  __syncthreads();

  const int tc = threadIdx.x - FILTER_RADIUS;
  const int tr = threadIdx.y - FILTER_RADIUS;
  if (row >= 0 && row < H && col >= 0 && col < W && tc >= 0 && tc < OUT_TILE && tr >= 0 &&
      tr < OUT_TILE) {
    float acc = 0.0f;
    for (int fr = 0; fr < FILTER_WIDTH; ++fr) {
      for (int fc = 0; fc < FILTER_WIDTH; ++fc) {
        acc += filt[fr * FILTER_WIDTH + fc] * tile[tr + fr][tc + fc];
      }
    }
    out[row * W + col] = acc;
  }
}

void conv2d_forward(const float *in, const float *weight, float *out, const ConvShape &s,
                    cudaStream_t stream) {
  dim3 block(128);
  dim3 grid((s.Q() + 127) / 128, s.P(), s.N * s.K);
  conv2d_direct_nchw<<<grid, block, 0, stream>>>(in, weight, out, s);
}

void conv1d_forward(const float *in, float *out, const float *h_filter, int n, bool tiled,
                    cudaStream_t stream) {
  cudaMemcpyToSymbolAsync(c_filter, h_filter, FILTER_WIDTH * sizeof(float), 0,
                          cudaMemcpyHostToDevice, stream);
  if (tiled) {
    conv1d_tiled<<<(n + 255) / 256, 256, 0, stream>>>(in, out, n);
  } else {
    conv1d_naive<<<(n + 255) / 256, 256, 0, stream>>>(in, out, n);
  }
}
