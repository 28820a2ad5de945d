// rediacc up: the embedded default for a new user. Starts a local redis-server (or uses REDIS_URL), a demo
// machine (an sshd on loopback with generated keys), a bridge and the web console (up-dashboard.ts), shows tasks
// of each priority flowing to COMPLETED, then keeps the stack running until Ctrl-C. The stack is the user's own: its Redis has a generated
// password, kept with its URL in RDC_HOME/up/stack.json (0600), where the user's other commands find it. One stack
// per RDC_HOME: a second `up` attaches to the running one.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBridge } from '@rediacc/bridge';
import {
  createLogger,
  isTerminal,
  loadConfig,
  localStackPath,
  type MachineInput,
  type MachineRecord,
  RdcError,
  type TaskView,
} from '@rediacc/core';
import { generateKeyPair, type RedisServer, startRedisServer, startSshd } from '@rediacc/localstack';
import { createClient, redisAddress } from '@rediacc/producer';
import type { Command } from 'commander';
import { integer } from '../options.js';
import { printLine } from '../output.js';
import { claimStack } from '../stack-lock.js';
import { nextStopSignal } from '../stop-signal.js';
import { setAsideTeamKey, writeTeamKey } from '../team-keys.js';
import { createUpToken, startUpDashboard } from './up-dashboard.js';

const TEAM = 'demo';
const MACHINE = 'demo-01';
const NEW_TOKEN = 'rediacc dashboard token create --role admin --expires 12h';
const DEMO_TASKS = [
  { priority: 5, command: 'echo "P5 cleanup: removing old logs"; sleep 0.4' },
  { priority: 4, command: 'echo "P4 maintenance: rotating certificates"; sleep 0.4' },
  { priority: 3, command: 'echo "P3 report on $(hostname): $(uptime)"' },
  { priority: 2, command: 'echo "P2 deploying version 1.4.2"; sleep 0.3' },
  { priority: 1, command: 'echo "P1 restarting app after security alert"' },
];

interface UpOptions {
  exit?: boolean;
  port?: number;
  dashboardPort?: number;
  /** false with --no-dashboard */
  dashboard: boolean;
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start a local stack (redis-server, a bridge, a demo machine) and show tasks flowing')
    .option('--exit', 'stop the stack once the demo tasks are done instead of running until Ctrl-C')
    .option(
      '--port <port>',
      'port of the local redis-server (default 6379, or a free one when 6379 is taken)',
      integer(1, 65_535),
    )
    .option(
      '--dashboard-port <port>',
      'port of the web console on 127.0.0.1 (default 7420, or a free one when 7420 is taken)',
      integer(1, 65_535),
    )
    .option('--no-dashboard', 'do not start the web console')
    .action(async (options: UpOptions) => {
      // Listen from the first moment: a signal while the stack starts stops it at the next step, with everything
      // started so far stopped again (Node's default would kill the process and orphan redis-server and sshd).
      // SIGHUP too: a closed terminal must stop the stack; after a hang-up there is no terminal left to tell.
      const stopped = nextStopSignal(['SIGINT', 'SIGTERM', 'SIGHUP']);
      let received: NodeJS.Signals | undefined;
      void stopped.then((signal) => {
        received = signal;
      });
      const stopRequested = () => received !== undefined;
      const config = loadConfig();
      const home = join(config.home, 'up');
      await mkdir(home, { recursive: true, mode: 0o700 });
      await chmod(home, 0o700);
      const out = printLine;
      const claim = await claimStack(config.home);
      if (claim.kind === 'running') {
        out(
          `A local stack is already running here (rediacc up, pid ${claim.stack.pid}): redis at ${redisAddress(claim.stack.url ?? '')}.\nOther commands find it by themselves; stop it with Ctrl-C in its terminal (or kill ${claim.stack.pid}).`,
        );
        if (claim.stack.dashboardUrl) {
          out(`console  ${claim.stack.dashboardUrl}  (a login token: \`${NEW_TOKEN}\`)`);
        }
        return;
      }
      const stops: (() => Promise<void>)[] = [() => claim.lock.release()];
      try {
        const fromEnv = config.redisUrlSource !== 'local stack' && config.redisUrlSource !== 'default';
        const redisUrl = fromEnv ? config.redisUrl : (await localRedis(home, options.port, stops)).url;
        await claim.lock.publish(redisUrl);
        if (stopRequested()) return;
        out(
          `redis    ${redisAddress(redisUrl)}${fromEnv ? ` (from ${config.redisUrlSource})` : ` (local redis-server with a generated password; data in ${join(home, 'redis')})`}`,
        );

        const keyPath = join(home, 'keys', 'demo-client');
        const key = existsSync(keyPath)
          ? { privateKeyPath: keyPath, publicKey: (await readFile(`${keyPath}.pub`, 'utf8')).trim() }
          : await generateKeyPair(join(home, 'keys'), 'demo-client');
        const sshd = await startSshd({ dir: join(home, 'sshd'), authorizedKeys: [key.publicKey] });
        stops.push(() => sshd.stop());
        if (stopRequested()) return;
        out(`machine  ${MACHINE}: sshd on ${sshd.host}:${sshd.port} (host key ${sshd.hostKeyFingerprint})`);

        const client = createClient({ redis: redisUrl, ...(config.actor !== undefined && { actor: config.actor }) });
        stops.push(() => client.close());
        if (!(await client.teams.list()).some((t) => t.name === TEAM)) {
          const { secretKey } = await client.teams.create(TEAM);
          // Redis lost the team but its old key file is still here: keep it, never overwrite a vault key.
          const aside = await setAsideTeamKey(config.home, TEAM);
          if (aside) out(`team     ${TEAM} re-created; its previous vault key was kept as ${aside}`);
          await writeTeamKey(config.home, TEAM, secretKey);
        }
        // The demo sshd gets a new port (and host key) each run: re-register the machine with its new address,
        // keeping what the user set on it (tags, maxConcurrent, authorizedKeysFile).
        const kept = userSettings((await client.machines.list(TEAM)).find((m) => m.name === MACHINE));
        await client.machines.remove(TEAM, MACHINE);
        await client.machines.add({
          ...kept,
          name: MACHINE,
          team: TEAM,
          host: sshd.host,
          port: sshd.port,
          user: sshd.user,
          keyFile: key.privateKeyPath,
          hostKeyFingerprint: sshd.hostKeyFingerprint,
        });

        if (stopRequested()) return;
        // The stack's own log lines (JSON, one per line) go to a file, not into the terminal `up` talks in.
        const logFile = join(home, 'stack.log');
        const bridge = await startBridge(
          {
            redisUrl,
            teams: [TEAM],
            batchSize: 2,
            criticalSlots: 1,
            name: 'up-bridge',
            keysDir: join(config.home, 'keys'),
          },
          { logger: createLogger({ name: 'bridge', file: logFile }) },
        );
        stops.push(() => bridge.close());
        out(`bridge   serving team ${TEAM}, batch size 2 + 1 critical slot (P1/P2 only); its log: ${logFile}`);
        if (options.dashboard) {
          const dashboard = await startUpDashboard({
            redisUrl,
            port: options.dashboardPort,
            logger: createLogger({ name: 'dashboard', file: logFile }),
            keysDir: join(config.home, 'keys'),
          });
          stops.push(() => dashboard.close());
          // Printed once, here; stack.json keeps only the URL, and Redis only the token's hash.
          const token = await createUpToken(client.dashboardTokens);
          await claim.lock.publish(redisUrl, { dashboardUrl: dashboard.url });
          out(`console  ${dashboard.url}  (log in with token ${token}; it is shown once and expires in 12h)`);
        }
        out('');
        if (stopRequested()) return;

        // Queue every demo task at once: the P1 and P2 run in the critical lane, never behind the P5 and P4.
        const created = await client.tasks.createMany(DEMO_TASKS.map((t) => ({ team: TEAM, machine: MACHINE, ...t })));
        out(`queued ${created.length} tasks, priorities 5 → 1; watching them:`);
        await watch(
          client,
          created.map((c) => c.taskId),
          out,
          stopRequested,
        );
        if (stopRequested()) return;

        out(
          [
            `\nThe stack is up. In another terminal (no REDIS_URL needed: commands read the stack's URL, password`,
            `included, from ${localStackPath(config.home)}, which only you can read):`,
            '  npx rediacc list queue',
            `  npx rediacc create task --machine ${MACHINE} --priority 1 --command "uptime" --wait`,
            `  npx rediacc inspect queue ${created[0]?.taskId}`,
            `To let another user in on purpose, give them a REDIS_URL: \`rediacc acl apply --team ${TEAM}\` prints one per role.`,
            ...(options.dashboard ? [`A new console login token, once this one expires: \`${NEW_TOKEN}\``] : []),
          ].join('\n'),
        );
        if (options.exit) return;
        out('\nPress Ctrl-C to stop.');
        if ((await stopped) !== 'SIGHUP') out('stopping…');
      } finally {
        for (const stop of stops.reverse()) await stop().catch(() => {});
      }
    });
}

/** What the user set on a registered machine: all but the address and key that `up` gives it anew each run. */
function userSettings(machine: MachineRecord | undefined): Partial<MachineInput> {
  if (!machine) return {};
  const { name, team, host, port, user, hostKeyFingerprint, addedAt, keyFingerprint, keyFile, ...kept } = machine;
  return kept;
}

async function localRedis(
  home: string,
  port: number | undefined,
  stops: (() => Promise<void>)[],
): Promise<RedisServer> {
  const dir = join(home, 'redis');
  if (port !== undefined) {
    const redis = await startRedisServer({ dir, port, appendOnly: true });
    stops.push(() => redis.stop());
    return redis;
  }
  // Prefer the default port so other commands work without REDIS_URL; fall back to a free one.
  let redis: RedisServer;
  try {
    redis = await startRedisServer({ dir, port: 6379, appendOnly: true });
  } catch (error) {
    if (error instanceof RdcError) throw error;
    redis = await startRedisServer({ dir, appendOnly: true });
  }
  stops.push(() => redis.stop());
  return redis;
}

async function watch(
  client: ReturnType<typeof createClient>,
  ids: string[],
  out: (line: string) => void,
  stopRequested: () => boolean,
): Promise<void> {
  const last = new Map<string, string>();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const views: TaskView[] = await Promise.all(ids.map((id) => client.tasks.inspect(id)));
    for (const view of views) {
      if (last.get(view.taskId) === view.status) continue;
      last.set(view.taskId, view.status);
      const tail = view.status === 'COMPLETED' ? `  → ${view.output?.trim().split('\n')[0] ?? ''}` : '';
      out(`  P${view.priority}  ${view.taskId.slice(0, 8)}  ${view.status.padEnd(10)}${tail}`);
    }
    if (views.every((v) => isTerminal(v.status)) || stopRequested()) return;
    if (Date.now() > deadline) throw new RdcError('RDC_TIMEOUT', 'demo tasks did not finish within 60s');
    await new Promise((r) => setTimeout(r, 50));
  }
}
