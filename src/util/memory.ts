// The process's resident memory, where the platform tells it (Node); 0 in a browser.
export function residentBytes(): number {
  const p = (globalThis as { process?: { memoryUsage?: () => { rss: number } } }).process;
  return p?.memoryUsage ? p.memoryUsage().rss : 0;
}
