// The width an access is judged at when its element type is one of several: a type alias an
// undecided `#if` makes `double` or `float` (`real` under `USE_DP`), or a template parameter its
// launches build as `float` and `double` (ATen's AT_DISPATCH_FLOATING_TYPES). The 32-bit build is
// the one tuned and timed in practice; the wider one is named in the finding's assumptions.
import type { AccessFact } from '../../core/facts/model';
import { elementBits } from '../../core/facts/ctypes';

/** The access's width, or its widest alternative of 32 bits or less when one of its alternatives is wider. */
export function judgedBits(a: AccessFact): number | null {
  if (a.elemBits === null || a.elemBits <= 32 || !a.elemAlternatives) return a.elemBits;
  const fits = a.elemAlternatives.map((t) => elementBits(t)).filter((b): b is number => b !== null && b <= 32);
  return fits.length ? Math.max(...fits) : a.elemBits;
}

/**
 * The width of the build without -D flags where the file says which arm that is (llm.c's `floatX`: `__nv_bfloat16`
 * unless ENABLE_FP32), else judgedBits: the build a user compiles first, whose strides and sectors a finding counts.
 */
export function defaultBuildBits(a: AccessFact): number | null {
  const bits = a.elemDefault && a.elemAlternatives ? elementBits(a.elemDefault) : null;
  return bits ?? judgedBits(a);
}

/** The first access judged narrower than its widest alternative: the types chosen, the wider ones, and where the choice comes from. */
export function narrowing(accesses: readonly AccessFact[], templateParams: readonly string[]): { access: AccessFact; chosen: string[]; wide: string[]; why: string } | null {
  const access = accesses.find((a) => a.elemBits !== null && judgedBits(a) !== a.elemBits);
  if (!access) return null;
  const bits = judgedBits(access)!;
  const chosen = access.elemAlternatives!.filter((t) => elementBits(t) === bits);
  const wide = access.elemAlternatives!.filter((t) => (elementBits(t) ?? 0) > 32);
  // (a template parameter's alternatives are its launches' types; a type alias's, an undecided `#if`'s arms)
  const why = `${templateParams.includes(access.elemType ?? '') ? 'its launches build it as' : 'an undecided `#if` makes it'} ${access.elemAlternatives!.map((t) => `\`${t}\``).join(' or ')}`;
  return { access, chosen, wide, why };
}

/**
 * The access's narrowest width among the types a template's launches build it with (`T` launched as `float` and as
 * `__nv_bfloat16`: 16), where that is narrower than its own width; else its width. Mixed-precision training runs the
 * 16-bit build: it decides whether a thread's chunk of elements already fills a 16-byte access. (The arms of an
 * undecided `#if` are no build the program makes: judged as judgedBits does.)
 */
export function narrowestBits(a: AccessFact, templateParams: readonly string[]): number | null {
  if (a.elemBits === null || !a.elemAlternatives || !templateParams.includes(a.elemType ?? '')) return judgedBits(a);
  const widths = a.elemAlternatives.map((t) => elementBits(t)).filter((b): b is number => b !== null);
  return widths.length ? Math.min(a.elemBits, ...widths) : a.elemBits;
}
