// PyTorch-extension style operators: tensors reach the kernels as packed accessors, flat
// offsets come from small index helpers, and a segment reduction walks CSR row pointers.
#include <torch/extension.h>

#define FeatAcc torch::PackedTensorAccessor32<float, 2, torch::RestrictPtrTraits>
using Image4 = torch::PackedTensorAccessor32<float, 4, torch::RestrictPtrTraits>;

__device__ __forceinline__ int nchw(int n, int c, int y, int x, int channels, int height, int width) {
  return ((n * channels + c) * height + y) * width + x;
}

__device__ __forceinline__ int row_major(int r, int c, int cols) { return r * cols + c; }

// one thread per sample, each summing its own feature row
__global__ void feature_norms(const FeatAcc feats, float* __restrict__ norms) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;
  if (n >= feats.size(0)) return;
  float s = 0.f;
  for (int c = 0; c < feats.size(1); ++c) s += feats[n][c] * feats[n][c];
  norms[n] = sqrtf(s);
}

// channels-last to channels-first: lanes on the channel read contiguously, write a plane apart
__global__ void nhwc_to_nchw(const Image4 src, Image4 dst) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  const int x = blockIdx.y, n = blockIdx.z;
  if (c >= src.size(3)) return;
  for (int y = 0; y < src.size(1); ++y) dst[n][c][y][x] = src[n][y][x][c];
}

// lanes along x: a coalesced read of each plane through the helper
__global__ void add_channel_bias(float* __restrict__ out, const float* __restrict__ in, const float* __restrict__ bias,
                                 int channels, int height, int width) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y, nc = blockIdx.z;
  if (x >= width) return;
  const int n = nc / channels, c = nc % channels;
  const int at = nchw(n, c, y, x, channels, height, width);
  out[at] = in[at] + bias[c];
}

// one thread per row of a dense matrix, through the helper
__global__ void row_dot(const float* __restrict__ m, const float* __restrict__ v, float* __restrict__ out, int rows, int cols) {
  const int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  float s = 0.f;
  for (int k = 0; k < cols; ++k) s += m[row_major(r, k, cols)] * v[k];
  out[r] = s;
}

// one thread per segment of a CSR index (the scalar form)
__global__ void segment_sum_scalar(const float* __restrict__ src, const long* __restrict__ indptr, float* __restrict__ out, int segments) {
  const int s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s >= segments) return;
  const long begin = indptr[s], end = indptr[s + 1];
  float acc = 0.f;
  for (long e = begin; e < end; ++e) acc += src[e];
  out[s] = acc;
}

// a warp per segment (the vector form): lanes read consecutive elements of the segment
__global__ void segment_sum_warp(const float* __restrict__ src, const long* __restrict__ indptr, float* __restrict__ out, int segments) {
  const int s = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (s >= segments) return;
  float acc = 0.f;
  for (long e = indptr[s] + lane; e < indptr[s + 1]; e += 32) acc += src[e];
  for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffff, acc, off);
  if (lane == 0) out[s] = acc;
}

void run_ops(torch::Tensor feats, torch::Tensor norms, torch::Tensor img, torch::Tensor img_t, torch::Tensor a, torch::Tensor b,
             torch::Tensor bias, torch::Tensor m, torch::Tensor v, torch::Tensor out, torch::Tensor src, torch::Tensor indptr, torch::Tensor seg) {
  const int n = feats.size(0);
  feature_norms<<<(n + 255) / 256, 256>>>(feats.packed_accessor32<float, 2, torch::RestrictPtrTraits>(), norms.data_ptr<float>());
  nhwc_to_nchw<<<dim3((img.size(3) + 31) / 32, img.size(2), img.size(0)), 32>>>(
      img.packed_accessor32<float, 4, torch::RestrictPtrTraits>(), img_t.packed_accessor32<float, 4, torch::RestrictPtrTraits>());
  add_channel_bias<<<dim3((a.size(3) + 255) / 256, a.size(2), a.size(0) * a.size(1)), 256>>>(
      b.data_ptr<float>(), a.data_ptr<float>(), bias.data_ptr<float>(), a.size(1), a.size(2), a.size(3));
  row_dot<<<(m.size(0) + 255) / 256, 256>>>(m.data_ptr<float>(), v.data_ptr<float>(), out.data_ptr<float>(), m.size(0), m.size(1));
  const int segments = indptr.size(0) - 1;
  segment_sum_scalar<<<(segments + 255) / 256, 256>>>(src.data_ptr<float>(), indptr.data_ptr<long>(), seg.data_ptr<float>(), segments);
  segment_sum_warp<<<(32 * segments + 255) / 256, 256>>>(src.data_ptr<float>(), indptr.data_ptr<long>(), seg.data_ptr<float>(), segments);
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) { m.def("run_ops", &run_ops, "extension operators"); }
