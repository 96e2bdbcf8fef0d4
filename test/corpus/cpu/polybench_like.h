/*
 * polybench_like.h -- minimal stand-in for the PolyBench/C support header.
 *
 * The kernels in this directory are written against this header so that they
 * can be built without the PolyBench distribution: arrays are statically sized
 * at compile time, loop bounds come from the _PB_* macros, and the timer hooks
 * compile to nothing unless BENCH_TIME is defined.
 */
#ifndef POLYBENCH_LIKE_H
#define POLYBENCH_LIKE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#ifndef DATA_TYPE
#define DATA_TYPE double
#define DATA_PRINTF_MODIFIER "%0.2lf "
#endif

#define SCALAR_VAL(x) x
#define SQRT_FUN(x) sqrt(x)

/* Array declarators: the first pair is the static extent, the second the
 * run-time extent that PolyBench passes along for documentation. */
#define POLYBENCH_1D(var, dim1, ddim1) var[dim1]
#define POLYBENCH_2D(var, dim1, dim2, ddim1, ddim2) var[dim1][dim2]
#define POLYBENCH_3D(var, dim1, dim2, dim3, ddim1, ddim2, ddim3) var[dim1][dim2][dim3]

/* Heap allocation of a statically shaped array, zero-filled. */
#define POLYBENCH_ALLOC_1D(type, n1) ((type *)calloc((size_t)(n1), sizeof(type)))
#define POLYBENCH_ALLOC_2D(type, n1, n2) \
  ((type(*)[n2])calloc((size_t)(n1) * (size_t)(n2), sizeof(type)))
#define POLYBENCH_ALLOC_3D(type, n1, n2, n3) \
  ((type(*)[n2][n3])calloc((size_t)(n1) * (size_t)(n2) * (size_t)(n3), sizeof(type)))
#define POLYBENCH_FREE(p) free((void *)(p))

/* Loop bounds. */
#define _PB_NI ni
#define _PB_NJ nj
#define _PB_NK nk
#define _PB_NL nl
#define _PB_N n
#define _PB_M m
#define _PB_TSTEPS tsteps

#ifdef BENCH_TIME
#include <time.h>
#define polybench_start_instruments \
  struct timespec pb_t0_, pb_t1_; clock_gettime(CLOCK_MONOTONIC, &pb_t0_)
#define polybench_stop_instruments clock_gettime(CLOCK_MONOTONIC, &pb_t1_)
#define polybench_print_instruments                                        \
  fprintf(stderr, "%.6f\n", (double)(pb_t1_.tv_sec - pb_t0_.tv_sec) +      \
                                1e-9 * (double)(pb_t1_.tv_nsec - pb_t0_.tv_nsec))
#else
#define polybench_start_instruments
#define polybench_stop_instruments
#define polybench_print_instruments
#endif

/* Dump only when asked, so that dead-code elimination cannot remove the
 * kernel: the decision depends on argv. */
#define polybench_prevent_dce(func) \
  if (argc > 42 && !strcmp(argv[0], "")) func

#endif /* POLYBENCH_LIKE_H */
