// Well-known library macros whose headers usually lie outside the workspace.
// The view does not add these; a caller consults builtinMacro for names the view lacks.
import type { MacroDef } from './macros';

const GRID_STRIDE = 'for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += blockDim.x * gridDim.x)';

function def(name: string, params: string[] | null, body: string, variadic = false): MacroDef {
  return Object.freeze({ name, params: params ? Object.freeze(params.slice()) as string[] : null, variadic, body });
}

const TABLE = new Map<string, MacroDef>([
  ['CUDA_KERNEL_LOOP', def('CUDA_KERNEL_LOOP', ['i', 'n'], GRID_STRIDE)],
  ['CUDA_1D_KERNEL_LOOP', def('CUDA_1D_KERNEL_LOOP', ['i', 'n'], GRID_STRIDE)],
  ['POLYBENCH_1D', def('POLYBENCH_1D', ['var', 'dim1', 'ddim1'], 'var[dim1]')],
  ['POLYBENCH_2D', def('POLYBENCH_2D', ['var', 'dim1', 'dim2', 'ddim1', 'ddim2'], 'var[dim1][dim2]')],
  ['POLYBENCH_3D', def('POLYBENCH_3D', ['var', 'dim1', 'dim2', 'dim3', 'ddim1', 'ddim2', 'ddim3'], 'var[dim1][dim2][dim3]')],
  ['POLYBENCH_4D', def('POLYBENCH_4D', ['var', 'dim1', 'dim2', 'dim3', 'dim4', 'ddim1', 'ddim2', 'ddim3', 'ddim4'], 'var[dim1][dim2][dim3][dim4]')],
  ['SCALAR_VAL', def('SCALAR_VAL', ['x'], 'x')],
  // PolyBench's timer statements as a timed build (-DPOLYBENCH_TIME) defines them
  ['polybench_start_instruments', def('polybench_start_instruments', null, 'polybench_timer_start();')],
  ['polybench_stop_instruments', def('polybench_stop_instruments', null, 'polybench_timer_stop();')],
  // CUDA's alignment attribute (`__shared__ __align__(16) float s[...]`): no effect on what is read, and the grammar does not know it
  ['__align__', def('__align__', ['n'], '')],
  // CUTLASS's and CuTe's qualifier macros (`CUTLASS_GLOBAL void kernel(...)`), from headers rarely in the workspace
  ['CUTLASS_GLOBAL', def('CUTLASS_GLOBAL', null, '__global__')],
  ...['CUTLASS_DEVICE', 'CUTE_DEVICE'].map((n): [string, MacroDef] => [n, def(n, null, '__forceinline__ __device__')]),
  ...['CUTLASS_HOST_DEVICE', 'CUTE_HOST_DEVICE'].map((n): [string, MacroDef] => [n, def(n, null, '__forceinline__ __host__ __device__')]),
  // a project's portable spelling of `__restrict__`, defined by its build (`-DHAS_RESTRICT`) or a header not found
  ...['RESTRICT', '__RESTRICT', '_RESTRICT', 'RESTRICT__', '__RESTRICT__'].map((n): [string, MacroDef] => [n, def(n, null, '__restrict__')]),
]);
const PB = new Map<string, MacroDef>();
/**
 * A project's spelling of `#pragma unroll` (`NGP_PRAGMA_UNROLL`, `TCNN_PRAGMA_UNROLL`, `CUTLASS_PRAGMA_UNROLL`,
 * `CUDA_UNROLL`: `_Pragma("unroll")` in a header not found): nothing, so that the loop after it parses as one
 * (not a bare `UNROLL`, which some projects define with arguments).
 */
const UNROLL_PRAGMA = /^(?:[A-Z0-9_]*PRAGMA_(?:NO_)?UNROLL|(?:CUDA|HIP|CUTE|GPU)_(?:NO_)?UNROLL)$/;
const PRAGMAS = new Map<string, MacroDef>();

/** A built-in definition for a well-known library macro, or null. */
export function builtinMacro(name: string): MacroDef | null {
  if (typeof name !== 'string') return null;
  const d = TABLE.get(name);
  if (d) return d;
  if (UNROLL_PRAGMA.test(name)) {
    let m = PRAGMAS.get(name);
    if (!m) {
      m = def(name, null, '');
      if (PRAGMAS.size < 100) PRAGMAS.set(name, m);
    }
    return m;
  }
  if (/^_PB_[A-Z0-9_]+$/.test(name)) {
    let m = PB.get(name);
    if (!m) {
      m = def(name, null, name.slice(4).toLowerCase());
      if (PB.size < 1000) PB.set(name, m);
    }
    return m;
  }
  return null;
}
