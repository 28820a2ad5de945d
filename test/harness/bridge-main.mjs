// A bridge in its own process, for fault tests that kill, freeze or signal it: node bridge-main.mjs '<config JSON>'.
// Prints "ready" once serving; SIGTERM closes it as `rediacc bridge start` does.
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';

const config = JSON.parse(process.argv[2] ?? '{}');
const logger = createLogger({ name: 'bridge', level: process.env.RDC_LOG_LEVEL ?? 'info' });
const bridge = await startBridge(config, { logger });
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  bridge.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
