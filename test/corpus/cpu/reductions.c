/*
 * reductions.c: matrix-vector kernels and row/column reductions used by the
 * statistics pass of the benchmark driver.
 */
#include "polybench_like.h"

#ifndef M
#define M 1900
#define N 2100
#endif

/* y := A^T (A x) */
static void kernel_atax(int m, int n,
                        DATA_TYPE POLYBENCH_2D(A, M, N, m, n),
                        DATA_TYPE POLYBENCH_1D(x, N, n),
                        DATA_TYPE POLYBENCH_1D(y, N, n),
                        DATA_TYPE POLYBENCH_1D(tmp, M, m))
{
  int i, j;

#pragma scop
  for (i = 0; i < _PB_N; i++)
    y[i] = 0;
  for (i = 0; i < _PB_M; i++) {
    tmp[i] = SCALAR_VAL(0.0);
    for (j = 0; j < _PB_N; j++)
      tmp[i] = tmp[i] + A[i][j] * x[j];
    for (j = 0; j < _PB_N; j++)
      y[j] = y[j] + A[i][j] * tmp[i];
  }
#pragma endscop
}

/* x1 := x1 + A y1 ; x2 := x2 + A^T y2, written as two i-outer loops. */
static void kernel_mvt(int n,
                       DATA_TYPE POLYBENCH_1D(x1, N, n),
                       DATA_TYPE POLYBENCH_1D(x2, N, n),
                       DATA_TYPE POLYBENCH_1D(y_1, N, n),
                       DATA_TYPE POLYBENCH_1D(y_2, N, n),
                       DATA_TYPE POLYBENCH_2D(A, N, N, n, n))
{
  int i, j;

#pragma scop
  for (i = 0; i < _PB_N; i++)
    for (j = 0; j < _PB_N; j++)
      x1[i] = x1[i] + A[i][j] * y_1[j];
  for (i = 0; i < _PB_N; i++)
    for (j = 0; j < _PB_N; j++)
      x2[i] = x2[i] + A[j][i] * y_2[j];
#pragma endscop
}

/* Per-column mean, one column at a time. */
static void column_means(int m, int n, DATA_TYPE POLYBENCH_2D(data, M, N, m, n),
                         DATA_TYPE POLYBENCH_1D(mean, N, n))
{
  int i, j;

  for (j = 0; j < _PB_N; j++) {
    DATA_TYPE s = SCALAR_VAL(0.0);
    for (i = 0; i < _PB_M; i++)
      s += data[i][j];
    mean[j] = s / (DATA_TYPE)m;
  }
}

/* Same result, streaming rows: every column sum advances together. */
static void column_means_rowwise(int m, int n, DATA_TYPE POLYBENCH_2D(data, M, N, m, n),
                                 DATA_TYPE POLYBENCH_1D(mean, N, n))
{
  int i, j;

  for (j = 0; j < _PB_N; j++)
    mean[j] = SCALAR_VAL(0.0);
  for (i = 0; i < _PB_M; i++)
#pragma omp simd
    for (j = 0; j < _PB_N; j++)
      mean[j] += data[i][j];
  for (j = 0; j < _PB_N; j++)
    mean[j] /= (DATA_TYPE)m;
}

/* Row L2 norms; the reduction is declared so the compiler may reassociate. */
static void row_norms(int m, int n, DATA_TYPE POLYBENCH_2D(data, M, N, m, n),
                      DATA_TYPE POLYBENCH_1D(norm, M, m))
{
  int i, j;

  for (i = 0; i < _PB_M; i++) {
    DATA_TYPE s = SCALAR_VAL(0.0);
#pragma omp simd reduction(+ : s)
    for (j = 0; j < _PB_N; j++)
      s += data[i][j] * data[i][j];
    norm[i] = SQRT_FUN(s);
  }
}

static DATA_TYPE frobenius_norm(int m, int n, DATA_TYPE POLYBENCH_2D(data, M, N, m, n))
{
  DATA_TYPE s = SCALAR_VAL(0.0);
  int i, j;

  for (i = 0; i < _PB_M; i++)
    for (j = 0; j < _PB_N; j++)
      s += data[i][j] * data[i][j];
  return SQRT_FUN(s);
}
