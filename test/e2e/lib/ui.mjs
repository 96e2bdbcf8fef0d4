// The Playwright side of the UI check (suite/ui.test.js holds matmul.cu open and waits):
// squiggle in the editor, a row in the Problems panel (Ctrl+Shift+M), the status-bar
// count, the hover's height, a click on its Explain link, and screenshots for a human to look at.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SQUIGGLES = ['error', 'warning', 'info', 'hint'].map((s) => `.monaco-editor .squiggly-${s}`).join(', ');
const STATUS_ITEM = '[id="kernel-advisor.kernel-advisor.kernelAdvisor.findings"]';

/** Waits for <shared>/ui-ready.json, runs the checks, writes <shared>/ui-done.json. */
export async function uiCheckWhenReady(page, shared, screenshot, isOver) {
  const ready = join(shared, 'ui-ready.json');
  while (!existsSync(ready)) {
    if (isOver()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const result = { squiggles: 0, problemRows: 0, statusText: '' };
  try {
    await page.locator(SQUIGGLES).first().waitFor({ state: 'visible', timeout: 20_000 });
    result.squiggles = await page.locator(SQUIGGLES).count();
    await page.locator('.monaco-editor textarea').first().focus();
    await page.keyboard.press('Control+Shift+M');
    await page.locator('.markers-panel .monaco-list-row').first().waitFor({ state: 'visible', timeout: 20_000 });
    result.problemRows = await page.locator('.markers-panel .monaco-list-row').count();
    const status = page.locator(STATUS_ITEM);
    await status.waitFor({ state: 'visible', timeout: 10_000 });
    result.statusText = (await status.innerText()).trim();
  } catch (e) {
    result.error = String(e && e.message ? e.message : e).split('\n')[0];
  }
  await page.screenshot({ path: screenshot }).catch((e) => { result.error ??= `screenshot: ${e.message}`; });
  await hoverAndFixMenu(page, screenshot.replace(/problems\.png$/, ''), result);
  await explainFromHover(page, screenshot.replace(/problems\.png$/, ''), result);
  writeFileSync(join(shared, 'ui-done.json'), JSON.stringify(result));
}

/**
 * Where the first visible squiggle is on the page. The editor renders only the lines in view
 * and re-renders decorations after a menu closes, so a squiggle can be detached for a moment
 * or scrolled away: wait for one, and if none shows, click the first Problems row, which
 * reveals its finding in the editor as a user would, then look again.
 */
async function squiggleBox(page) {
  for (let attempt = 0; ; attempt++) {
    const squiggle = page.locator(SQUIGGLES).filter({ visible: true }).first();
    const shown = await squiggle.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false);
    const box = shown ? await squiggle.boundingBox().catch(() => null) : null;
    if (box && box.width > 0 && box.height > 0) return box;
    if (attempt === 3) throw new Error('the squiggle has no box');
    const row = page.locator('.markers-panel .monaco-list-row').first();
    if (await row.isVisible().catch(() => false)) await row.click().catch(() => {});
    // (the shortcut toggles: only when the panel is not showing)
    else if (!(await page.locator('.markers-panel').first().isVisible().catch(() => false))) await page.keyboard.press('Control+Shift+M');
    await page.waitForTimeout(500);
  }
}

/**
 * The hover of the first finding: the height of its content and of the box it is shown in
 * (suite/ui.test.js asserts that the content fits), and for people (the README, a review)
 * screenshots of it and of the quick-fix menu (Ctrl+.) at it. A failure is noted in
 * `screenshots`; without the hover's measurement the test fails.
 */
async function hoverAndFixMenu(page, prefix, result) {
  try {
    await page.keyboard.press('Escape');
    // decorations take no pointer events: move the mouse over the squiggle's place in the text
    const box = await squiggleBox(page);
    const at = { x: box.x + Math.min(box.width / 2, 20), y: box.y + box.height / 2 };
    await page.mouse.move(at.x - 5, at.y);
    await page.mouse.move(at.x, at.y, { steps: 5 });
    const hover = page.locator('.monaco-hover:not(.hidden)').first();
    await hover.waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForTimeout(500);
    result.hoverBox = Math.round((await hover.boundingBox())?.height ?? 0);
    result.hoverContent = await hover.evaluate((el) => Math.round((el.querySelector('.hover-contents, .monaco-hover-content') ?? el).scrollHeight));
    // where the height goes: each row of the hover (the editor's diagnostic part, our card, its status bar)
    result.hoverRows = await hover.evaluate((el) => [...(el.querySelector('.monaco-hover-content') ?? el).children].map((r) => `${r.className.replace(/\s+/g, '.')} ${Math.round(r.getBoundingClientRect().height)}`).join(', '));
    result.hoverWidth = Math.round((await hover.boundingBox())?.width ?? 0);
    await page.screenshot({ path: `${prefix}hover.png` });
    await page.mouse.move(0, 0);
    await page.keyboard.press('Escape');
    await page.mouse.click(at.x, at.y);
    await page.keyboard.press('Control+.');
    const menu = page.locator('.action-widget, .context-view .monaco-list').first();
    await menu.waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${prefix}fix-menu.png` });
    await page.keyboard.press('Escape');
  } catch (e) {
    result.screenshots = `hover/fix-menu screenshots not taken: ${String(e && e.message ? e.message : e).split('\n')[0]}`;
  }
}

/**
 * A click on the Explain link of the first finding's hover, as a user makes it: VS Code
 * runs the trusted command with the link's arguments (the rule and the finding), and
 * suite/ui.test.js checks the Explain view it opens. `explainLink` is the link's target,
 * `explainError` why there was no click.
 */
async function explainFromHover(page, prefix, result) {
  try {
    await page.keyboard.press('Escape');
    // the quick-fix menu just closed: the editor may still be re-rendering its decorations
    const box = await squiggleBox(page);
    const at = { x: box.x + Math.min(box.width / 2, 20), y: box.y + box.height / 2 };
    await page.mouse.move(0, 0);
    await page.mouse.move(at.x - 5, at.y);
    await page.mouse.move(at.x, at.y, { steps: 5 });
    const hover = page.locator('.monaco-hover:not(.hidden)').first();
    await hover.waitFor({ state: 'visible', timeout: 10_000 });
    // VS Code renders a markdown link with its target in data-href (older versions: href)
    const link = hover.locator('a[data-href^="command:kernelAdvisor.explainRule"], a[href^="command:kernelAdvisor.explainRule"]').first();
    await link.waitFor({ state: 'visible', timeout: 10_000 });
    result.explainLink = (await link.getAttribute('data-href')) || (await link.getAttribute('href'));
    await link.click();
    // the Markdown preview's tab ("Preview <rule>.md"), then a moment for its content to render
    const tab = page.locator('.tabs-container .tab', { hasText: /Preview .*\.md/ }).first();
    await tab.waitFor({ state: 'visible', timeout: 15_000 });
    result.explainTab = (await tab.innerText()).trim();
    // the preview renders in a webview: an iframe holding the active frame
    const heading = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame').locator('h2', { hasText: 'This finding' });
    result.explainRendered = await heading.waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, (e) => `not rendered: ${String(e.message).split('\n')[0]}`);
    await page.screenshot({ path: `${prefix}explain.png` }).catch(() => undefined);
  } catch (e) {
    result.explainError = String(e && e.message ? e.message : e).split('\n')[0];
  }
}
