// Makes docs/web-app.png: the page after training MTL, FS and RS on hetero3 (wasm) with the default settings
// but a smaller training set. Run: node --import tsx test-browser/screenshot.ts
import { launch, serve } from './helpers.js';

const server = await serve();
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
await page.goto(server.url);
await page.waitForSelector('#served-bench option', { state: 'attached' });
await page.check('#methods input[value=rs]');
await page.fill('#train', '1000');
await page.fill('#test', '500');
await page.click('#train-btn');
await page.waitForFunction(() => document.body.dataset.done === 'true' || document.querySelector('#status.error'), null, { timeout: 600_000 });
console.log(await page.textContent('#status'));
await page.screenshot({ path: 'docs/web-app.png', fullPage: true });
await browser.close();
await server.close();
