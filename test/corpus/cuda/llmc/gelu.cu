/*
GELU, bias and residual kernels used between the matmuls of the MLP block.
*/
#include "common.h"

#define GELU_SCALING_FACTOR sqrtf(2.0f / M_PI)

// scalar version: one floatX per thread
__global__ void gelu_forward_kernel1(floatX *out, const floatX *inp, int N) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < N) {
    float xi = (float)inp[i];
    float cube = 0.044715f * xi * xi * xi;
    out[i] = (floatX)(0.5f * xi * (1.0f + tanhf(GELU_SCALING_FACTOR * (xi + cube))));
  }
}

// 128-bit version: x128::size elements per thread
__global__ void gelu_forward_kernel2(floatX *out, const floatX *inp, int N) {
  int i = (blockIdx.x * blockDim.x + threadIdx.x) * x128::size;
  if (i < N) {
    x128 packed_out;
    x128 packed_inp = load128cs(inp + i);  // load and do not keep in cache
    for (int k = 0; k < packed_inp.size; ++k) {
      float xi = (float)packed_inp[k];
      float cube = 0.044715f * xi * xi * xi;
      packed_out[k] = (floatX)(0.5f * xi * (1.0f + tanhf(GELU_SCALING_FACTOR * (xi + cube))));
    }
    store128(out + i, packed_out);
  }
}

__global__ void gelu_backward_inplace_kernel(floatX *d_in_out, const floatX *inp, int N) {
  int i = (blockIdx.x * blockDim.x + threadIdx.x) * x128::size;
  if (i < N) {
    x128 packed_dinp;
    x128 packed_inp = load128cs(inp + i);
    x128 packed_dout = load128(d_in_out + i);
    for (int k = 0; k < packed_inp.size; ++k) {
      float x = (float)packed_inp[k];
      float cube = 0.044715f * x * x * x;
      float tanh_arg = GELU_SCALING_FACTOR * (x + cube);
      float tanh_out = tanhf(tanh_arg);
      float coshf_out = coshf(tanh_arg);
      float sech_out = 1.0f / (coshf_out * coshf_out);
      float local_grad = 0.5f * (1.0f + tanh_out) +
                         x * 0.5f * sech_out * GELU_SCALING_FACTOR * (1.0f + 3.0f * 0.044715f * x * x);
      packed_dinp[k] = (floatX)(local_grad * (float)packed_dout[k]);
    }
    store128(d_in_out + i, packed_dinp);
  }
}

// out[i] = inp1[i] + inp2[i], scalar
__global__ void residual_forward_kernel(floatX *out, const floatX *inp1, const floatX *inp2, int N) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < N) {
    out[idx] = (floatX)((float)inp1[idx] + (float)inp2[idx]);
  }
}

// out[bt, oc] += bias[oc]; bias row is broadcast across the BT rows.
__global__ void add_bias_kernel(floatX *out, const floatX *bias, int BT, int OC) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < BT * OC) {
    int col = idx % OC;
    out[idx] = (floatX)((float)out[idx] + (float)bias[col]);
  }
}

// ----------------------------------------------------------------------------
// kernel launchers

void gelu_forward(floatX *out, const floatX *inp, int N, cudaStream_t stream) {
  const int block_size = 512;
  const int grid_size = CEIL_DIV(N, (int)(block_size * x128::size));
  gelu_forward_kernel2<<<grid_size, block_size, 0, stream>>>(out, inp, N);
  cudaCheck(cudaGetLastError());
}

void gelu_backward_inplace(floatX *d_in_out, const floatX *inp, int N, cudaStream_t stream) {
  const int block_size = 128;
  const int grid_size = CEIL_DIV(N, (int)(block_size * x128::size));
  gelu_backward_inplace_kernel<<<grid_size, block_size, 0, stream>>>(d_in_out, inp, N);
  cudaCheck(cudaGetLastError());
}

void residual_forward(floatX *out, const floatX *inp1, const floatX *inp2, int N, cudaStream_t stream) {
  const int block_size = 256;
  const int grid_size = CEIL_DIV(N, block_size);
  residual_forward_kernel<<<grid_size, block_size, 0, stream>>>(out, inp1, inp2, N);
  cudaCheck(cudaGetLastError());
}

void add_bias(floatX *out, const floatX *bias, int BT, int OC, cudaStream_t stream) {
  const int block_size = 256;
  add_bias_kernel<<<CEIL_DIV(BT * OC, block_size), block_size, 0, stream>>>(out, bias, BT, OC);
  cudaCheck(cudaGetLastError());
}
