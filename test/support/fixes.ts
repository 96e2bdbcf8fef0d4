// Shared by the rule fixers' tests (server/src/rules/*/*/fix.test.ts): one engine per test
// file, a rule's findings of a text, what its fixer offers for each (or why it offers
// nothing), and the text with a fix applied. Each test file keeps only what is its own.
import { before } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../server/src/core/engine';
import { applyEdits, fixAllEdits } from '../../server/src/core/fix';
import type { Finding, Fix } from '../../server/src/core/types';

/** A finding, the fixes offered for it, and why there are none where there are none. */
export interface Outcome {
  finding: Finding;
  fixes: Fix[];
  reason?: string;
}

// one engine for all the kits of a test file, as a file testing two rules' fixers had
let shared: Promise<Engine> | undefined;

/**
 * The helpers for the tests of `rule`'s fixer; `path` names the texts given without one
 * (its extension picks the language). Call at the top level of a test file: it creates
 * the engine before the tests run.
 */
export function fixTests(rule: string, path = 'kernel.cu') {
  let engine: Engine;
  before(async () => {
    engine = await (shared ??= Engine.create());
  });
  const defaultPath = path;

  /** The rule's findings of a text, each with the fixes analyzeText gives it. */
  const findings = (text: string, path = defaultPath): Finding[] => engine.analyzeText(path, text).findings.filter((f) => f.rule === rule);

  /** Each finding with the fixes it carries, or why there are none. */
  function outcomes(text: string, path = defaultPath): Outcome[] {
    const found = findings(text, path);
    // analyzeText already carries the fixer's fixes; fixOutcomes says why where there is none
    const o = engine.fixOutcomes(path, text, found);
    return found.map((f) => ({ finding: f, fixes: f.fixes, reason: o.get(f)!.reason }));
  }

  /** Each finding with the fixes fixOutcomes writes for it afresh (the finding's own dropped first), or why there are none. */
  function freshOutcomes(text: string, path = defaultPath): Outcome[] {
    const found = findings(text, path).map((f) => ({ ...f, fixes: [] }));
    const o = engine.fixOutcomes(path, text, found);
    return found.map((f) => ({ finding: f, fixes: o.get(f)!.fixes, reason: o.get(f)!.reason }));
  }

  /** The text's one finding's first fix, and the text with it applied. */
  function fixed(text: string, path = defaultPath): { fix: Fix; after: string } {
    const o = outcomes(text, path);
    assert.equal(o.length, 1, 'one finding');
    const fix = o[0].fixes[0];
    assert.ok(fix, `a fix is offered (reason: ${o[0].reason})`);
    return { fix, after: applyEdits(text, fix.edits) };
  }

  /** Why the text's one finding gets no fix (asserting that it gets none, and a reason). */
  function whyNoFix(text: string, path = defaultPath): string {
    const o = outcomes(text, path);
    assert.equal(o.length, 1, 'one finding');
    assert.equal(o[0].fixes.length, 0, `no fix: ${o[0].fixes[0]?.title}`);
    assert.ok(o[0].reason, 'a reason');
    return o[0].reason;
  }

  /** The text with every finding's preferred fix applied, as `kernel-advisor fix --unsafe` does. */
  function fixAll(text: string, path = defaultPath): string {
    return applyEdits(text, fixAllEdits(findings(text, path).map((f) => ({ fixes: f.fixes })), true).edits);
  }

  /** Asserts that the text draws the finding, and that none of its findings gets a fix, each for a reason matching `why`. */
  function refused(text: string, why: RegExp, path = defaultPath): void {
    const o = outcomes(text, path);
    assert.ok(o.length > 0, 'the code draws the finding');
    for (const x of o) {
      assert.equal(x.fixes.length, 0, `no fix for ${x.finding.message}`);
      assert.match(x.reason ?? '', why);
    }
  }

  return { engine: () => engine, findings, outcomes, freshOutcomes, fixed, whyNoFix, fixAll, refused };
}
