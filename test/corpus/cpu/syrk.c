/*
 * syrk.c: symmetric rank-k update of the lower triangle, C := alpha*A*A^T + beta*C
 */
#include "polybench_like.h"

#ifndef N
#define N 1200
#define M 1000
#endif

static void init_array(int n, int m, DATA_TYPE *alpha, DATA_TYPE *beta,
                       DATA_TYPE POLYBENCH_2D(C, N, N, n, n),
                       DATA_TYPE POLYBENCH_2D(A, N, M, n, m))
{
  int i, j;

  *alpha = 1.5;
  *beta = 1.2;
  for (i = 0; i < n; i++)
    for (j = 0; j < m; j++)
      A[i][j] = (DATA_TYPE)((i * j + 1) % n) / n;
  for (i = 0; i < n; i++)
    for (j = 0; j < n; j++)
      C[i][j] = (DATA_TYPE)((i * j + 2) % m) / m;
}

/* Original loop order: k sits outside the triangular j loop, so the inner
 * loop walks A down a column. */
static void kernel_syrk(int n, int m, DATA_TYPE alpha, DATA_TYPE beta,
                        DATA_TYPE POLYBENCH_2D(C, N, N, n, n),
                        DATA_TYPE POLYBENCH_2D(A, N, M, n, m))
{
  int i, j, k;

#pragma scop
  for (i = 0; i < _PB_N; i++) {
    for (j = 0; j <= i; j++)
      C[i][j] *= beta;
    for (k = 0; k < _PB_M; k++) {
      for (j = 0; j <= i; j++)
        C[i][j] += alpha * A[i][k] * A[j][k];
    }
  }
#pragma endscop
}

/* Dot-product order: both operands are read along rows. */
static void kernel_syrk_dot(int n, int m, DATA_TYPE alpha, DATA_TYPE beta,
                            DATA_TYPE POLYBENCH_2D(C, N, N, n, n),
                            DATA_TYPE POLYBENCH_2D(A, N, M, n, m))
{
  int i, j, k;

  for (i = 0; i < _PB_N; i++)
    for (j = 0; j <= i; j++) {
      DATA_TYPE s = SCALAR_VAL(0.0);
      for (k = 0; k < _PB_M; k++)
        s += A[i][k] * A[j][k];
      C[i][j] = beta * C[i][j] + alpha * s;
    }
}

int main(int argc, char **argv)
{
  int n = N, m = M;
  DATA_TYPE alpha, beta;
  DATA_TYPE(*C)[N] = POLYBENCH_ALLOC_2D(DATA_TYPE, N, N);
  DATA_TYPE(*A)[M] = POLYBENCH_ALLOC_2D(DATA_TYPE, N, M);

  init_array(n, m, &alpha, &beta, C, A);

  polybench_start_instruments;
  if (argc > 1 && argv[1][0] == 'd')
    kernel_syrk_dot(n, m, alpha, beta, C, A);
  else
    kernel_syrk(n, m, alpha, beta, C, A);
  polybench_stop_instruments;
  polybench_print_instruments;

  if (argc > 42)
    printf(DATA_PRINTF_MODIFIER "\n", C[n / 2][n / 3]);

  POLYBENCH_FREE(C);
  POLYBENCH_FREE(A);
  return 0;
}
