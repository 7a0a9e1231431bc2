// The image's HEALTHCHECK: the slim node image has no curl or wget, so node asks /healthz itself.
// Exit 0 when it answers 200, 1 otherwise (Docker reserves 2).
const port = process.env['PORT'] ?? '8000';
try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) console.error(`healthz answered ${response.status}: ${await response.text()}`);
  process.exitCode = response.ok ? 0 : 1;
} catch (error) {
  console.error(`healthz unreachable: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
