// Shared set-up of the browser tests: the built web app served cross-origin isolated on a free port, and
// Debian's Chromium driven by playwright-core (Playwright cannot download its own browsers here).
import { existsSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
// @ts-expect-error plain ESM script without types
import { buildWeb } from '../scripts/web/build.mjs';
// @ts-expect-error plain ESM script without types
import { startServer } from '../scripts/web/serve.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader'];

let built: Promise<string> | undefined;

/** Builds dist-web once per process (unminified, for readable stacks). */
export function webRoot(): Promise<string> {
  built ??= buildWeb(undefined, { minify: false }) as Promise<string>;
  return built;
}

export async function serve(opts: { isolate?: boolean } = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const server = (await startServer({ root: await webRoot(), port: 0, isolate: opts.isolate ?? true })) as Server;
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((ok) => server.close(() => ok())) };
}

/** Chromium, headless, with a fresh profile (Playwright's own temporary one); `webgpu` adds SwiftShader's adapter. */
export async function launch(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const args = [...BASE_ARGS, ...(opts.webgpu ? WEBGPU_ARGS : ['--disable-gpu'])];
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/** Collects the page's console errors and uncaught exceptions, for assertion messages. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}
