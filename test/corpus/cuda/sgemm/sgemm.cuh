// SGEMM kernels: C = alpha * A @ B + beta * C, all row-major.
// A is M x K, B is K x N, C is M x N.
#pragma once
#include <cuda_runtime.h>

#define CEIL_DIV(M, N) (((M) + (N)-1) / (N))
#define OFFSET(row, col, ld) ((row) * (ld) + (col))

void run_sgemm(int kernel, int M, int N, int K, float alpha, float *A, float *B, float beta,
               float *C, cudaStream_t stream);
