// The images' HEALTHCHECK: exits 0 when GET $RDC_HEALTH_URL (the bridge's metrics port or the console, /healthz)
// answers 2xx within 2 seconds, 1 otherwise. node only: the slim image has no curl.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: the Dockerfile's targets set it (ENV RDC_HEALTH_URL)
const url = process.env.RDC_HEALTH_URL ?? 'http://127.0.0.1:9464/healthz';
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
