/*
 * stencils.c: iterative stencils (Jacobi 2-D, Gauss-Seidel 2-D, heat 3-D).
 */
#include "polybench_like.h"

#ifndef N
#define N 1300
#define N3 120
#define TSTEPS 500
#endif

#define TB 4
#define MIN(a, b) ((a) < (b) ? (a) : (b))

static void init_array_2d(int n, DATA_TYPE POLYBENCH_2D(A, N, N, n, n),
                          DATA_TYPE POLYBENCH_2D(B, N, N, n, n))
{
  int i, j;

  for (i = 0; i < n; i++)
    for (j = 0; j < n; j++) {
      A[i][j] = ((DATA_TYPE)i * (j + 2) + 2) / n;
      B[i][j] = ((DATA_TYPE)i * (j + 3) + 3) / n;
    }
}

static void kernel_jacobi_2d(int tsteps, int n,
                             DATA_TYPE POLYBENCH_2D(A, N, N, n, n),
                             DATA_TYPE POLYBENCH_2D(B, N, N, n, n))
{
  int t, i, j;

#pragma scop
  for (t = 0; t < _PB_TSTEPS; t++) {
    for (i = 1; i < _PB_N - 1; i++)
      for (j = 1; j < _PB_N - 1; j++)
        B[i][j] = SCALAR_VAL(0.2) * (A[i][j] + A[i][j - 1] + A[i][1 + j] + A[1 + i][j] + A[i - 1][j]);
    for (i = 1; i < _PB_N - 1; i++)
      for (j = 1; j < _PB_N - 1; j++)
        A[i][j] = SCALAR_VAL(0.2) * (B[i][j] + B[i][j - 1] + B[i][1 + j] + B[1 + i][j] + B[i - 1][j]);
  }
#pragma endscop
}

/* Port of a Fortran solver: the loops were kept in Fortran (column-major)
 * order, but the arrays are C arrays. */
static void kernel_jacobi_2d_fortran_order(int tsteps, int n,
                                           DATA_TYPE POLYBENCH_2D(A, N, N, n, n),
                                           DATA_TYPE POLYBENCH_2D(B, N, N, n, n))
{
  int t, i, j;

  for (t = 0; t < _PB_TSTEPS; t++) {
    for (j = 1; j < _PB_N - 1; j++)
      for (i = 1; i < _PB_N - 1; i++)
        B[i][j] = SCALAR_VAL(0.2) * (A[i][j] + A[i][j - 1] + A[i][j + 1] + A[i + 1][j] + A[i - 1][j]);
    for (j = 1; j < _PB_N - 1; j++)
      for (i = 1; i < _PB_N - 1; i++)
        A[i][j] = B[i][j];
  }
}

/* Temporal blocking by wavefront: TB time steps (2*TB half-sweeps) advance
 * together down the rows, each half-sweep one row behind the previous one, so
 * the few rows in flight stay in L2 instead of streaming the grid 2*TB times. */
static void kernel_jacobi_2d_blocked(int tsteps, int n,
                                     DATA_TYPE POLYBENCH_2D(A, N, N, n, n),
                                     DATA_TYPE POLYBENCH_2D(B, N, N, n, n))
{
  int tt, i, j, s;

  for (tt = 0; tt < _PB_TSTEPS; tt += TB) {
    const int stages = 2 * MIN(TB, _PB_TSTEPS - tt);
    for (i = 1; i < _PB_N - 1 + stages; i++) {
      for (s = 0; s < stages; s++) {
        const int r = i - s;
        DATA_TYPE(*src)[N] = (s & 1) ? B : A;
        DATA_TYPE(*dst)[N] = (s & 1) ? A : B;
        if (r < 1 || r > _PB_N - 2)
          continue;
#pragma omp simd
        for (j = 1; j < _PB_N - 1; j++)
          dst[r][j] = SCALAR_VAL(0.2) * (src[r][j] + src[r][j - 1] + src[r][j + 1] + src[r + 1][j] + src[r - 1][j]);
      }
    }
  }
}

static void kernel_seidel_2d(int tsteps, int n, DATA_TYPE POLYBENCH_2D(A, N, N, n, n))
{
  int t, i, j;

#pragma scop
  for (t = 0; t <= _PB_TSTEPS - 1; t++)
    for (i = 1; i <= _PB_N - 2; i++)
      for (j = 1; j <= _PB_N - 2; j++)
        A[i][j] = (A[i - 1][j - 1] + A[i - 1][j] + A[i - 1][j + 1]
                   + A[i][j - 1] + A[i][j] + A[i][j + 1]
                   + A[i + 1][j - 1] + A[i + 1][j] + A[i + 1][j + 1]) / SCALAR_VAL(9.0);
#pragma endscop
}

static void kernel_heat_3d(int tsteps, int n,
                           DATA_TYPE POLYBENCH_3D(A, N3, N3, N3, n, n, n),
                           DATA_TYPE POLYBENCH_3D(B, N3, N3, N3, n, n, n))
{
  int t, i, j, k;

#pragma scop
  for (t = 1; t <= _PB_TSTEPS; t++) {
    for (i = 1; i < _PB_N - 1; i++)
      for (j = 1; j < _PB_N - 1; j++)
        for (k = 1; k < _PB_N - 1; k++)
          B[i][j][k] = SCALAR_VAL(0.125) * (A[i + 1][j][k] - SCALAR_VAL(2.0) * A[i][j][k] + A[i - 1][j][k])
                     + SCALAR_VAL(0.125) * (A[i][j + 1][k] - SCALAR_VAL(2.0) * A[i][j][k] + A[i][j - 1][k])
                     + SCALAR_VAL(0.125) * (A[i][j][k + 1] - SCALAR_VAL(2.0) * A[i][j][k] + A[i][j][k - 1])
                     + A[i][j][k];
    for (i = 1; i < _PB_N - 1; i++)
      for (j = 1; j < _PB_N - 1; j++)
        for (k = 1; k < _PB_N - 1; k++)
          A[i][j][k] = SCALAR_VAL(0.125) * (B[i + 1][j][k] - SCALAR_VAL(2.0) * B[i][j][k] + B[i - 1][j][k])
                     + SCALAR_VAL(0.125) * (B[i][j + 1][k] - SCALAR_VAL(2.0) * B[i][j][k] + B[i][j - 1][k])
                     + SCALAR_VAL(0.125) * (B[i][j][k + 1] - SCALAR_VAL(2.0) * B[i][j][k] + B[i][j][k - 1])
                     + B[i][j][k];
  }
#pragma endscop
}

int main(int argc, char **argv)
{
  int n = N, tsteps = TSTEPS;
  DATA_TYPE(*A)[N] = POLYBENCH_ALLOC_2D(DATA_TYPE, N, N);
  DATA_TYPE(*B)[N] = POLYBENCH_ALLOC_2D(DATA_TYPE, N, N);
  DATA_TYPE(*A3)[N3][N3] = POLYBENCH_ALLOC_3D(DATA_TYPE, N3, N3, N3);
  DATA_TYPE(*B3)[N3][N3] = POLYBENCH_ALLOC_3D(DATA_TYPE, N3, N3, N3);
  const char *which = argc > 1 ? argv[1] : "jacobi";

  init_array_2d(n, A, B);
  polybench_start_instruments;
  if (!strcmp(which, "jacobi"))
    kernel_jacobi_2d(tsteps, n, A, B);
  else if (!strcmp(which, "jacobi-f"))
    kernel_jacobi_2d_fortran_order(tsteps, n, A, B);
  else if (!strcmp(which, "jacobi-b"))
    kernel_jacobi_2d_blocked(tsteps, n, A, B);
  else if (!strcmp(which, "seidel"))
    kernel_seidel_2d(tsteps, n, A);
  else
    kernel_heat_3d(tsteps, N3, A3, B3);
  polybench_stop_instruments;
  polybench_print_instruments;

  if (argc > 42)
    printf(DATA_PRINTF_MODIFIER "\n", A[n / 2][n / 2] + A3[1][1][1]);

  POLYBENCH_FREE(A);
  POLYBENCH_FREE(B);
  POLYBENCH_FREE(A3);
  POLYBENCH_FREE(B3);
  return 0;
}
