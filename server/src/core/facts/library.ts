// Library routines that are elementwise kernels in all but name: cuBLAS level-1 `scal`,
// `axpy` and `copy` each launch one pass over n elements. Described here as kernel facts,
// a call to one is a launch like any other, so `cublasScopy` + `cublasSscal` followed by
// an `exp` kernel on the same buffer reads as the chain of three passes it is.
import { Poly } from '../affine';
import type { AccessFact, FunctionFacts, ParamFact } from './model';

const NOWHERE = { start: { line: 0, column: 0 }, end: { line: 0, column: 0 } };
/** Element i of the pass, as a one-pass elementwise kernel indexes it. */
const ELEMENT = Poly.sym('blockDim.x').mul(Poly.sym('blockIdx.x')).add(Poly.sym('threadIdx.x'));

function routine(name: string, params: string[], reads: string[], writes: string[], type: string): FunctionFacts {
  const fact = (array: string, kind: AccessFact['kind']): AccessFact => ({
    array, space: 'global', kind, indices: [ELEMENT], elemType: type, elemBits: type === 'double' ? 64 : 32, range: NOWHERE, text: `${array}[i]`, loops: [], vector: false,
  });
  const ps: ParamFact[] = params.map((p) => ({ name: p, type: reads.includes(p) || writes.includes(p) ? type : 'int', pointer: reads.includes(p) || writes.includes(p), isConst: !writes.includes(p), restrict: false }));
  return {
    name, range: NOWHERE, nameRange: NOWHERE, isKernel: true, isDevice: false, params: ps, templateParams: [], loops: [],
    accesses: [...reads.map((a) => fact(a, 'load')), ...writes.map((a) => fact(a, 'store'))],
    shared: [], calls: [], syncthreads: [], usesVectorTypes: false, arithmetic: 1, kernelClass: 'elementwise', indexBound: 'n', launchBounds: null,
  };
}

/** cuBLAS level-1 routines (the `_v2` names too), by name. */
export const LIBRARY_KERNELS: ReadonlyMap<string, FunctionFacts> = new Map(
  (['S', 'D'] as const).flatMap((p) => {
    const type = p === 'S' ? 'float' : 'double';
    const list = [
      routine(`cublas${p}scal`, ['handle', 'n', 'alpha', 'x', 'incx'], ['x'], ['x'], type),
      routine(`cublas${p}axpy`, ['handle', 'n', 'alpha', 'x', 'incx', 'y', 'incy'], ['x', 'y'], ['y'], type),
      routine(`cublas${p}copy`, ['handle', 'n', 'x', 'incx', 'y', 'incy'], ['x'], ['y'], type),
    ];
    return list.flatMap((k) => [[k.name, k] as const, [`${k.name}_v2`, k] as const]);
  }),
);
