// Index forms with template arguments put in (bindSymbols): the value reaches inside
// `/`, `%` and shifts, and an atom whose arguments all become constants is its value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Poly, atom, bindSymbols, loneSymbol, recomposeDivMod } from '../server/src/core/affine';

const sym = Poly.sym;

test('a bound parameter multiplying the thread index becomes a constant stride', () => {
  const p = sym('threadIdx.x').mul(sym('STRIDE')).add(sym('n'));
  const bound = bindSymbols(p, new Map([['STRIDE', 8]]));
  assert.equal(bound.coefficient('threadIdx.x').constant, 8);
  assert.ok(bound.coefficient('threadIdx.x').isConstant);
  assert.ok(bound.dependsOn((s) => s === 'n'), 'unbound symbols stay');
});

test('inside atoms: `tid % (K / T)` with K = 512, T = 128 is `tid % 4`; an atom of constants folds', () => {
  const tid = sym('threadIdx.x');
  const ratio = atom('/', [sym('K'), sym('T')]);
  const p = atom('%', [tid, ratio]);
  const bound = bindSymbols(p, new Map([['K', 512], ['T', 128]]));
  assert.ok(!bound.dependsOn((s) => s === 'K' || s === 'T'));
  assert.ok(bound.equals(atom('%', [tid, Poly.const(4)])), bound.toString());
  assert.equal(bindSymbols(ratio, new Map([['K', 512], ['T', 128]])).constant, 4);
  assert.equal(bindSymbols(atom('>>', [sym('W'), Poly.const(2)]), new Map([['W', 64]])).constant, 16);
});

test('exact division by a bound constant stays affine; nothing bound, nothing changes', () => {
  const p = atom('/', [sym('threadIdx.x').scale(8), sym('V')]);
  assert.ok(bindSymbols(p, new Map([['V', 4]])).equals(sym('threadIdx.x').scale(2)));
  assert.equal(bindSymbols(p, new Map()), p);
  assert.equal(bindSymbols(p, new Map([['other', 1]])), p);
});

test('an index rebuilt from the coordinates a thread index was split into is the thread index again', () => {
  const idx = Poly.sym('idx');
  const [size, n] = [Poly.sym('size'), Poly.sym('n')];
  const outer = atom('/', [idx, size]);
  const [i, j, k] = [atom('%', [idx, size]), atom('%', [outer, n]), atom('/', [outer, n])];
  // darknet's add_bias_kernel: output[(k * n + j) * size + i]
  assert.equal(recomposeDivMod(k.mul(n).add(j).mul(size).add(i)).toString(), 'idx');
  assert.equal(recomposeDivMod(k.mul(n).add(j).mul(size).add(i).add(Poly.const(3)).scale(2)).toString(), '2*idx + 6');
  // a coordinate left out (`k * n * size + i`) is not the thread index
  const partial = k.mul(n).mul(size).add(i);
  assert.equal(recomposeDivMod(partial).toString(), partial.toString());
  // `j * size + i` alone is idx only modulo n * size: kept as it is
  assert.notEqual(recomposeDivMod(j.mul(size).add(i)).toString(), 'idx');
});

test('loneSymbol names a bare symbol only: not a scaled, shifted or summed one, nor a constant', () => {
  assert.equal(loneSymbol(Poly.sym('n%4')), 'n%4');
  assert.equal(loneSymbol(Poly.sym('n').scale(2)), null);
  assert.equal(loneSymbol(Poly.sym('n').add(Poly.const(1))), null);
  assert.equal(loneSymbol(Poly.sym('a').add(Poly.sym('b'))), null);
  assert.equal(loneSymbol(Poly.const(3)), null);
  assert.equal(loneSymbol(Poly.unknown), null);
});

test('bound flags decide a choice kept as text: (kBoth?4:2) with kBoth = 1 is 4, and 128 / it is 32', () => {
  const choice = Poly.sym('(kBoth?4:2)');
  assert.equal(String(bindSymbols(choice, new Map([['kBoth', 1]]))), '4');
  assert.equal(String(bindSymbols(Poly.sym('(128)/((kBoth?4:2))'), new Map([['kBoth', 0]]))), '64');
});
