// Reference implementations that tests compare against (`matmul_ref`, `attention_reference`,
// `golden_softmax`, `REF_MMult`, and in Triton projects the eager `ff_pytorch` / `torch_softmax`)
// and the scalar fallbacks of SIMD paths are kept simple on purpose: rules stay quiet in them.
// One home for the name test, so every rule agrees on what counts as one.
import type { FunctionFacts } from '../../core/facts/model';
const REFERENCE = /(?:^|_)(?:ref|reference|golden|REF|REFERENCE|GOLDEN)(?:_|$)|Reference|Golden|Ref$|_(?:pytorch|torch)$|^(?:pytorch|torch)_/;

/** A test framework's test body (`TEST(Gemm, Small) { ... }` reads as a function named TEST): test code, not a target. */
const TEST_BODY = /^(?:TEST|TEST_F|TEST_P|TYPED_TEST|TYPED_TEST_P|BOOST_AUTO_TEST_CASE|BOOST_FIXTURE_TEST_CASE|TEST_CASE|SCENARIO)$/;

/** The portable scalar twin of a SIMD path (`softmax_cpu_nonavx2`, `dequant_fallback`): the machines that matter take the other one. */
const SCALAR_TWIN = /(?:^|_)(?:fallback|non_?avx\d*|non_?simd|no_?simd|non_?neon)(?:_|$)|Fallback/i;

export const isReferenceOracle = (functionName: string): boolean =>
  REFERENCE.test(functionName) || TEST_BODY.test(functionName) || SCALAR_TWIN.test(functionName);

/** A check of the results after the timed work (`checkTRIADresults`, `verify_output`, `validate`): its sums and scans run once. */
export const isResultCheck = (functionName: string): boolean => /^(?:check|verify|validate)(?:[A-Z_]|$)/.test(functionName);

/**
 * Host functions of a file that only its test bodies call (`naiveMatmul` checked by
 * `EXPECT_NEAR` inside `TEST(Gemm, Small)`): the expected results of a test, not a target.
 */
export function calledOnlyFromTests(functions: readonly FunctionFacts[]): ReadonlySet<string> {
  const tests = functions.filter((f) => TEST_BODY.test(f.name));
  if (!tests.length) return NO_NAMES;
  const fromTests = new Set(tests.flatMap((t) => t.calls.map((c) => c.name)));
  for (const f of functions) if (!TEST_BODY.test(f.name)) for (const c of f.calls) fromTests.delete(c.name);
  return fromTests;
}
const NO_NAMES: ReadonlySet<string> = new Set();
