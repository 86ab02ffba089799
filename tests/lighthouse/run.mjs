// Lighthouse on a few pages of a served site, in one Chromium: node run.mjs URL...
// Prints one JSON line per URL: {url, scores: {category: 0..100}, failed: [audit ids below 1]}.
// The browser is Debian's (CHROME_PATH), headless, no sandbox (the tests may run as root).
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu"],
});
try {
  for (const url of process.argv.slice(2)) {
    const result = await lighthouse(url, {
      port: chrome.port, output: "json", logLevel: "error",
      onlyCategories: ["performance", "accessibility", "best-practices", "seo"],
    });
    const lhr = result.lhr;
    const scores = Object.fromEntries(Object.values(lhr.categories).map(c => [c.id, Math.round(c.score * 100)]));
    const failed = Object.values(lhr.categories).flatMap(c => c.auditRefs
      .filter(r => r.weight > 0 && lhr.audits[r.id].score !== null && lhr.audits[r.id].score < 1)
      .map(r => `${c.id}/${r.id}: ${lhr.audits[r.id].displayValue || lhr.audits[r.id].score}`));
    console.log(JSON.stringify({ url, scores, failed }));
  }
} finally {
  await chrome.kill();
}
