// Shapes and helpers for the direct convolution kernels.
#pragma once
#include <cuda_runtime.h>

#define HOST_DEVICE __host__ __device__
#define FILTER_RADIUS 3
#define FILTER_WIDTH (2 * FILTER_RADIUS + 1)
#define IN_TILE 32
#define OUT_TILE (IN_TILE - 2 * FILTER_RADIUS)

struct ConvShape {
  int N, C, H, W;  // input NCHW
  int K, R, S;     // K filters of C x R x S
  int stride, pad;
  HOST_DEVICE int P() const { return (H + 2 * pad - R) / stride + 1; }
  HOST_DEVICE int Q() const { return (W + 2 * pad - S) / stride + 1; }
};

HOST_DEVICE inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }
