// No Docker engine runs here, so docker/ is checked by construction: the Dockerfiles' copied paths and scripts
// exist in the built workspace, the images run as non-root with a /healthz HEALTHCHECK and an exec-form
// ENTRYPOINT, every `rediacc` command in compose.yml and k8s/ parses with the real CLI, the bridge's grace periods
// outlast its drain, no secret sits in an environment, and the probe paths answer on a real bridge and console.
// Each rule is also shown failing on a planted violation. Run alone: npx vitest run test/guards/docker-files.test.ts
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRIDGE_DEFAULTS } from '@rediacc/bridge';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../../packages/cli/src/program.js';
import { CLI_BIN, runCli } from '../harness/cli-run.js';
import { useHarness, waitFor } from '../harness/index.js';
import { cliProblems } from './cli-args-check.js';
import { adminRuns, checkCompose, checkK8s, type DeployContext, type Probe } from './docker-deploy-check.js';
import { checkDockerfile, dockerIgnore, type ImageTarget } from './dockerfile-check.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dockerDir = join(root, 'docker');
const read = (path: string) => readFileSync(join(dockerDir, path), 'utf8');
const h = useHarness();
const k8sFiles = readdirSync(join(dockerDir, 'k8s')).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');

function rediaccImage(text = read('Dockerfile')) {
  const ignored = dockerIgnore(read('Dockerfile.dockerignore'));
  return checkDockerfile(text, { root, ignored, rediacc: true, program: buildProgram() });
}

function context(images: Map<string, ImageTarget> = rediaccImage().targets): DeployContext {
  return { program: buildProgram(), images, defaultGraceSeconds: BRIDGE_DEFAULTS.shutdownGraceMs / 1000 };
}

/** The committed text with one planted change; fails when the text to change is not there. */
function plant(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

describe('docker/Dockerfile', () => {
  it('copies paths that exist, runs as non-root with a /healthz healthcheck, and execs its entrypoint', () => {
    const { problems, targets } = rediaccImage();
    expect(problems).toEqual([]);
    expect([...targets.keys()].sort()).toEqual(['bridge', 'dashboard']);
    expect(targets.get('bridge')?.healthUrl).toBe('http://127.0.0.1:9464/healthz');
    expect(targets.get('dashboard')?.entrypoint).toEqual(['/usr/local/bin/rediacc-entrypoint']);
  });

  it('names a missing COPY source, a root USER, a shell-form ENTRYPOINT and a script path not in the image', () => {
    const text = read('Dockerfile');
    expect(rediaccImage(plant(text, 'COPY docker/healthcheck.mjs', 'COPY docker/health-check.mjs')).problems).toEqual(
      expect.arrayContaining([expect.stringContaining('COPY source docker/health-check.mjs does not exist')]),
    );
    expect(rediaccImage(plant(text, 'USER 10001:10001', 'USER root')).problems).toEqual([
      'target bridge: USER root is root',
      'target dashboard: USER root is root',
    ]);
    expect(rediaccImage(plant(text, 'USER 10001:10001\n', '')).problems).toContain(
      'target bridge: no USER: the image would run as root',
    );
    const shellForm = plant(text, 'ENTRYPOINT ["/usr/local/bin/rediacc-entrypoint"]', 'ENTRYPOINT node bin.js');
    expect(rediaccImage(shellForm).problems).toContain(
      'target bridge: ENTRYPOINT must be in exec form, ["…"], so signals reach it',
    );
    const lostDist = plant(text, 'COPY --from=build /src/packages/cli/dist packages/cli/dist\n', '');
    expect(rediaccImage(lostDist).problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/entrypoint\.sh runs \/app\/packages\/cli\/dist\/bin\.js/)]),
    );
    const noHealth = plant(text, 'ENV RDC_HEALTH_URL=http://127.0.0.1:9464/healthz', 'ENV RDC_HEALTH_URL=http://x/');
    expect(rediaccImage(noHealth).problems).toEqual([expect.stringMatching(/^target bridge: HEALTHCHECK does not/)]);
    const devDeps = plant(text, 'COPY --from=deps /src ./', 'COPY --from=build /src/node_modules node_modules');
    expect(rediaccImage(devDeps).problems).toEqual(
      expect.arrayContaining([expect.stringContaining('COPY --from=build /src/node_modules brings dev dependencies')]),
    );
    const allDeps = plant(text, 'npm ci --omit=dev --workspace', 'npm ci --workspace');
    expect(rediaccImage(allDeps).problems).toEqual([
      expect.stringMatching(/^line \d+: COPY --from=deps \/src brings dev dependencies into the image$/),
    ]);
  });

  it('leaves out build output and secrets from the build context', () => {
    const ignored = dockerIgnore(read('Dockerfile.dockerignore'));
    expect(
      ['packages/cli/dist', 'node_modules/x', 'packages/core/node_modules', 'docker/secrets/redis-url'].map(ignored),
    ).toEqual([true, true, true, true]);
    expect(['packages/cli/src/bin.ts', 'docker/entrypoint.sh'].map(ignored)).toEqual([false, false]);
  });

  it('builds the sshd demo target from files that exist', () => {
    const ignored = dockerIgnore(read('sshd-demo.Dockerfile.dockerignore'));
    const { problems } = checkDockerfile(read('sshd-demo.Dockerfile'), { root, ignored, rediacc: false });
    expect(problems).toEqual([]);
    expect(ignored('packages/cli/src/bin.ts')).toBe(true);
  });
});

describe("the images' entrypoint script", () => {
  it('reads REDIS_URL from the file REDIS_URL_FILE names and execs node with the arguments', async () => {
    const dir = await h.tempDir('rdc-entry-');
    mkdirSync(join(dir, 'bin'));
    // A stand-in node: prints what the real one would get.
    writeFileSync(join(dir, 'bin', 'node'), '#!/bin/sh\necho "url=$REDIS_URL file=$REDIS_URL_FILE args=$*"\n');
    chmodSync(join(dir, 'bin', 'node'), 0o755);
    writeFileSync(join(dir, 'redis-url'), 'redis://:pw@redis:6379\n');
    const env = { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, REDIS_URL_FILE: join(dir, 'redis-url') };
    const run = spawnSync(join(dockerDir, 'entrypoint.sh'), ['bridge', 'start', '--team', 'demo'], { env });
    expect(run.stdout.toString()).toBe(
      'url=redis://:pw@redis:6379 file= args=/app/packages/cli/dist/bin.js bridge start --team demo\n',
    );
    const missing = spawnSync(join(dockerDir, 'entrypoint.sh'), ['--help'], {
      env: { ...env, REDIS_URL_FILE: join(dir, 'absent') },
    });
    expect(missing.status).not.toBe(0);
  });
});

describe('rediacc commands in deployment files', () => {
  it('are checked flag by flag against the real CLI', () => {
    const program = buildProgram();
    expect(cliProblems(program, ['bridge', 'start', '--team', 'a,b', '--batch-size', '10'], 'x')).toEqual([]);
    expect(cliProblems(program, ['bridge', 'start', '--team', 'a', '--batch-size', '0'], 'x')).toEqual([
      expect.stringMatching(/^x: rediacc bridge start --batch-size 0: /),
    ]);
    expect(cliProblems(program, ['bridge', 'start', '--batch-size', '5'], 'x')).toEqual([
      'x: rediacc bridge start needs --team',
    ]);
    expect(cliProblems(program, ['bridge', 'begin'], 'x')).toEqual([expect.stringMatching(/begin: no such command/)]);
    expect(cliProblems(program, ['dashboard', 'start', '--host=0.0.0.0', '--prot', '1'], 'x')).toEqual([
      'x: rediacc dashboard start has no option --prot',
    ]);
  });
});

describe('the admin commands the README and compose.yml tell operators to run', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const deploy = readme.slice(readme.indexOf('## Deploy'), readme.indexOf('\n## ', readme.indexOf('## Deploy') + 1));

  it('parse with the real CLI', () => {
    const program = buildProgram();
    const runs = [...adminRuns(deploy), ...adminRuns(read('compose.yml'))];
    expect(runs.map((args) => args.slice(0, 2).join(' '))).toEqual(
      expect.arrayContaining(['team create', 'machine add', 'create task', 'dashboard token']),
    );
    expect(runs.flatMap((args) => cliProblems(program, args, args.slice(0, 2).join(' ')))).toEqual([]);
  });

  it('name a flag the CLI does not have', () => {
    const planted = adminRuns(deploy.replace('--host-key-fingerprint', '--host-fingerprint'));
    expect(planted.flatMap((args) => cliProblems(buildProgram(), args, 'README'))).toEqual([
      'README: rediacc machine add has no option --host-fingerprint',
    ]);
  });
});

describe('docker/compose.yml', () => {
  it('runs real commands, scales the bridge, keeps secrets in files and Redis on AOF', () => {
    expect(checkCompose(read('compose.yml'), dockerDir, context())).toEqual([]);
  });

  it('names a misspelt flag, a secret in the environment, a fixed bridge port and a short stop grace', () => {
    const text = read('compose.yml');
    const check = (planted: string) => checkCompose(planted, dockerDir, context());
    expect(check(plant(text, '- --metrics-port\n', '- --metric-port\n'))).toEqual(
      expect.arrayContaining(['compose service bridge: rediacc bridge start has no option --metric-port']),
    );
    const inEnv = plant(
      text,
      '  RDC_LOG_LEVEL: info\n',
      '  RDC_LOG_LEVEL: info\n  REDIS_URL: redis://:pw@redis:6379\n',
    );
    expect(check(inEnv)).toContain(
      'compose service dashboard: REDIS_URL holds a secret value; give a file (REDIS_URL_FILE) from a secret instead',
    );
    const pinned = plant(text, '    stop_grace_period: 45s\n', '    stop_grace_period: 45s\n    container_name: b1\n');
    expect(check(pinned)).toContain(
      'compose service bridge: a container_name or published ports stop `--scale bridge=N`',
    );
    expect(check(plant(text, 'stop_grace_period: 45s', 'stop_grace_period: 20s'))).toContain(
      'compose service bridge: stop_grace_period 20s is not longer than the drain',
    );
    expect(check(plant(text, '- "9464"\n', '- "9465"\n'))).toContain(
      "compose service bridge: serves on port 9465 but its image's HEALTHCHECK polls http://127.0.0.1:9464/healthz",
    );
    expect(check(plant(text, 'target: demo.key', 'target: other.key'))).toContain(
      'compose service bridge: no secret mounted as /run/secrets/demo.key for team demo',
    );
    expect(check(plant(text, '"127.0.0.1:7420:7420"', '"7420:7420"'))).toContain(
      'compose service dashboard: port 7420:7420 is not on loopback',
    );
  });
});

describe('docker/k8s', () => {
  const texts = () => k8sFiles.map((f) => read(join('k8s', f)));

  it('runs real commands as non-root, probes the served port and outlasts the bridge drain', () => {
    const { problems, probes } = checkK8s(texts(), context());
    expect(problems).toEqual([]);
    expect(probes.map((p) => `${p.process} ${p.path}`).sort()).toEqual([
      'bridge /healthz',
      'bridge /readyz',
      'dashboard /healthz',
      'dashboard /readyz',
    ]);
  });

  it('are all applied by kustomization.yaml', () => {
    const kustomization = parse(read('k8s/kustomization.yaml')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual([...k8sFiles].sort());
  });

  it('names a short terminationGracePeriod, a misspelt flag, root pods and a Service that selects nothing', () => {
    const planted = (from: string, to: string) =>
      checkK8s(
        texts().map((t) => (t.includes(from) ? t.replace(from, to) : t)),
        context(),
      ).problems;
    expect(planted('terminationGracePeriodSeconds: 60', 'terminationGracePeriodSeconds: 30')).toEqual([
      'Deployment rediacc-bridge: terminationGracePeriodSeconds 30 is not longer than the drain (30 s)',
    ]);
    expect(planted('- --batch-size', '- --batchsize')).toEqual(
      expect.arrayContaining([expect.stringMatching(/rediacc bridge start has no option --batchsize$/)]),
    );
    expect(planted('runAsNonRoot: true\n        runAsUser: 10001', 'runAsNonRoot: true\n        runAsUser: 0')).toEqual(
      ['Deployment rediacc-bridge: runAsNonRoot is not set', 'Deployment rediacc-dashboard: runAsNonRoot is not set'],
    );
    expect(planted('  selector:\n    app.kubernetes.io/name: rediacc-dashboard', '  selector:\n    app: none')).toEqual(
      expect.arrayContaining(['Service rediacc-dashboard: selects no Deployment']),
    );
  });
});

describe('probe and healthcheck paths', () => {
  let env: NodeJS.ProcessEnv;

  /** Starts `rediacc ARGS…` and waits for the first http:// URL it logs. */
  async function serve(args: string[]): Promise<string> {
    const child: ChildProcess = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    h.own(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    let log = '';
    child.stdout?.on('data', (d) => (log += d));
    child.stderr?.on('data', (d) => (log += d));
    return waitFor(`${args[0]} to log its URL`, () => /http:\/\/127\.0\.0\.1:\d+/.exec(log)?.[0]);
  }

  const servers = new Map<Probe['process'], string>();
  beforeAll(async () => {
    env = { ...process.env, REDIS_URL: (await h.redis()).url, RDC_HOME: await h.tempDir('rdc-home-') };
    delete env.RDC_ACTOR;
    expect((await runCli(['team', 'create', 'demo'], { env })).code).toBe(0);
    servers.set('bridge', await serve(['bridge', 'start', '--team', 'demo', '--metrics-port', '0', '--grace', '1']));
    servers.set('dashboard', await serve(['dashboard', 'start', '--port', '0']));
  });

  it('answer 200 on a real bridge and console, and a path they do not serve does not', async () => {
    const { probes } = checkK8s(
      k8sFiles.map((f) => read(join('k8s', f))),
      context(),
    );
    const healthchecks = [...rediaccImage().targets].map(([target, image]) => ({
      process: target as Probe['process'],
      path: new URL(image.healthUrl ?? 'http://x/none').pathname,
    }));
    const statuses = await Promise.all(
      [...probes, ...healthchecks].map(
        async (p) => `${p.process} ${p.path} ${(await fetch(`${servers.get(p.process)}${p.path}`)).status}`,
      ),
    );
    expect(
      statuses.every((s) => s.endsWith(' 200')),
      statuses.join('\n'),
    ).toBe(true);
    expect(statuses).toHaveLength(6);
    expect((await fetch(`${servers.get('bridge')}/ready`)).status).toBe(404);
  });

  it("are what the images' healthcheck script polls: exit 0 on /healthz, 1 elsewhere or with nothing listening", () => {
    const healthcheck = (url: string) =>
      spawnSync(process.execPath, [join(dockerDir, 'healthcheck.mjs')], { env: { RDC_HEALTH_URL: url } }).status;
    expect(healthcheck(`${servers.get('bridge')}/healthz`)).toBe(0);
    expect(healthcheck(`${servers.get('dashboard')}/healthz`)).toBe(0);
    expect(healthcheck(`${servers.get('bridge')}/ready`)).toBe(1);
    expect(healthcheck('http://127.0.0.1:1/healthz')).toBe(1);
  });
});
