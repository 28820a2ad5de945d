// The compose file and the Kubernetes manifests against the real CLI, the images' healthchecks and the bridge's
// drain bound (dockerfile-check.ts reads the Dockerfiles). Each check returns its problems, one line each, and the
// HTTP probes it found, for the test to GET on a real bridge and console.
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Command } from 'commander';
import { parse, parseAllDocuments } from 'yaml';
import { cliProblems, flagValue } from './cli-args-check.js';
import type { ImageTarget } from './dockerfile-check.js';

export interface Probe {
  /** Which process answers it: the first word of its rediacc command. */
  process: 'bridge' | 'dashboard';
  path: string;
  where: string;
}

export interface DeployContext {
  program: Command;
  /** The Dockerfile's targets (bridge, dashboard) and what their healthchecks poll. */
  images: Map<string, ImageTarget>;
  /** How long a bridge drains after SIGTERM when --grace is not given (BRIDGE_DEFAULTS.shutdownGraceMs). */
  defaultGraceSeconds: number;
}

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj => (value && typeof value === 'object' ? (value as Obj) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The drain a `bridge start` command asks for: --grace seconds, else the default. */
function graceOf(args: readonly string[], context: DeployContext): number {
  const grace = flagValue(args, '--grace');
  return grace === undefined ? context.defaultGraceSeconds : Number(grace);
}

function seconds(duration: unknown): number {
  const match = /^(\d+)(ms|s|m)?$/.exec(String(duration ?? ''));
  if (!match) return 10; // compose's default stop_grace_period
  const n = Number(match[1]);
  return match[2] === 'm' ? n * 60 : match[2] === 'ms' ? n / 1000 : n;
}

/** The port a rediacc command serves its health endpoints on. */
function servedPort(args: readonly string[]): string | undefined {
  return args[0] === 'bridge' ? flagValue(args, '--metrics-port') : flagValue(args, '--port');
}

function envRecord(env: unknown): Obj {
  if (!Array.isArray(env)) return obj(env);
  return Object.fromEntries(env.map((e) => String(e).split(/=(.*)/s).slice(0, 2)));
}

/**
 * docker/compose.yml: rediacc services run real commands (exec form) whose health port matches their image's
 * HEALTHCHECK; the bridge scales (no container_name, no ports) and stops within stop_grace_period; no secret in
 * the file's environment; published ports on loopback; bind mounts and build files exist; Redis keeps an AOF.
 */
export function checkCompose(text: string, dockerDir: string, context: DeployContext): string[] {
  const problems: string[] = [];
  const doc = obj(parse(text, { merge: true }));
  const declared = obj(doc.secrets);
  const initScript = readFileSync(join(dockerDir, 'init-secrets.sh'), 'utf8');
  for (const [name, secret] of Object.entries(declared)) {
    const file = String(obj(secret).file ?? '');
    const made = initScript.includes(posix.basename(file)) || /^\.\/secrets\/home\/keys\/[^/]+\.key$/.test(file);
    if (!file.startsWith('./secrets/') || !made) {
      problems.push(`secret ${name}: ${file || 'no file'} is not one init-secrets.sh or team create makes`);
    }
  }
  for (const [name, value] of Object.entries(obj(doc.services))) {
    const service = obj(value);
    const where = `compose service ${name}`;
    const env = envRecord(service.environment);
    problems.push(...secretEnvProblems(env, where));
    const mounted = list(service.secrets).map((s) =>
      typeof s === 'string' ? s : String(obj(s).target ?? obj(s).source),
    );
    for (const [key, file] of Object.entries(env).filter(([key]) => key.endsWith('_FILE'))) {
      if (!mounted.some((m) => posix.resolve('/run/secrets', m) === file)) {
        problems.push(`${where}: ${key}=${String(file)} is not one of its secrets`);
      }
    }
    for (const s of list(service.secrets)) {
      const source = typeof s === 'string' ? s : String(obj(s).source);
      if (!(source in declared)) problems.push(`${where}: secret ${source} is not declared`);
    }
    for (const port of list(service.ports)) {
      if (!String(port).startsWith('127.0.0.1:')) problems.push(`${where}: port ${String(port)} is not on loopback`);
    }
    for (const volume of list(service.volumes)) {
      const source = String(volume).split(':')[0] ?? '';
      if (source.startsWith('.') && !source.startsWith('./secrets') && !existsSync(join(dockerDir, source))) {
        problems.push(`${where}: bind mount ${source} does not exist`);
      }
    }
    const build = obj(service.build);
    const target = String(build.target ?? '');
    if (service.build !== undefined) {
      const dockerfile = join(dockerDir, String(build.context ?? '.'), String(build.dockerfile ?? 'Dockerfile'));
      if (!existsSync(dockerfile)) problems.push(`${where}: build file ${String(build.dockerfile)} does not exist`);
    }
    const image =
      context.images.get(target) ?? context.images.get(/rediacc\/(\w+)/.exec(String(service.image))?.[1] ?? '');
    if (!image) continue;
    if (!Array.isArray(service.command)) {
      problems.push(`${where}: command must be a list (exec form)`);
      continue;
    }
    const args = service.command.map(String);
    problems.push(...cliProblems(context.program, args, where));
    if (args[0] === 'bridge' || args[0] === 'dashboard') {
      const port = servedPort(args);
      if (image.healthUrl && port !== new URL(image.healthUrl).port) {
        problems.push(`${where}: serves on port ${port} but its image's HEALTHCHECK polls ${image.healthUrl}`);
      }
    }
    if (args[0] !== 'bridge') continue;
    if (service.container_name !== undefined || service.ports !== undefined) {
      problems.push(`${where}: a container_name or published ports stop \`--scale ${name}=N\``);
    }
    if (seconds(service.stop_grace_period) <= graceOf(args, context)) {
      problems.push(`${where}: stop_grace_period ${String(service.stop_grace_period)} is not longer than the drain`);
    }
    const keysDir = flagValue(args, '--keys-dir') ?? '';
    for (const team of (flagValue(args, '--team') ?? '').split(',')) {
      if (!mounted.some((m) => posix.resolve('/run/secrets', m) === posix.join(keysDir, `${team}.key`))) {
        problems.push(`${where}: no secret mounted as ${posix.join(keysDir, `${team}.key`)} for team ${team}`);
      }
    }
  }
  const redis = obj(obj(doc.services).redis);
  const confs = list(redis.volumes).map((v) => String(v).split(':')[0] ?? '');
  const aof = confs
    .filter((c) => c.endsWith('.conf') && existsSync(join(dockerDir, c)))
    .some((c) => /^appendonly yes$/m.test(readFileSync(join(dockerDir, c), 'utf8')));
  if (!aof && !String(redis.command).includes('--appendonly yes')) problems.push('compose service redis: AOF is off');
  return problems;
}

/**
 * docker/k8s/*.yaml: pods run as non-root; containers run real rediacc commands; liveness and readiness probes
 * on the port the command serves; a bridge's terminationGracePeriodSeconds outlasts its drain; its team keys come
 * from a mounted Secret; no secret in env; Services select a Deployment and name one of its ports.
 */
export function checkK8s(texts: string[], context: DeployContext): { problems: string[]; probes: Probe[] } {
  const problems: string[] = [];
  const probes: Probe[] = [];
  const docs = texts.flatMap((t) => parseAllDocuments(t).map((d) => obj(d.toJS())));
  const deployments = docs.filter((d) => d.kind === 'Deployment');
  for (const deployment of deployments) {
    const where = `Deployment ${String(obj(deployment.metadata).name)}`;
    const pod = obj(obj(obj(deployment.spec).template).spec);
    const security = obj(pod.securityContext);
    if (security.runAsNonRoot !== true || security.runAsUser === 0) problems.push(`${where}: runAsNonRoot is not set`);
    for (const value of list(pod.containers)) {
      const container = obj(value);
      const args = list(container.args).map(String);
      const here = `${where} container ${String(container.name)}`;
      problems.push(...cliProblems(context.program, args, here));
      const env = Object.fromEntries(list(container.env).map((e) => [obj(e).name, obj(e).value]));
      problems.push(...secretEnvProblems(env, here));
      const mounts = list(container.volumeMounts).map(obj);
      const secretVolumes = new Set(
        list(pod.volumes)
          .map(obj)
          .filter((v) => v.secret !== undefined)
          .map((v) => v.name),
      );
      const fromSecret = (path: string) =>
        mounts.some((m) => secretVolumes.has(m.name) && posix.dirname(path) === m.mountPath);
      for (const [key, file] of Object.entries(env).filter(([key]) => String(key).endsWith('_FILE'))) {
        if (!fromSecret(String(file))) problems.push(`${here}: ${key}=${String(file)} is not in a mounted Secret`);
      }
      const ports = new Map(list(container.ports).map((p) => [obj(p).name, String(obj(p).containerPort)]));
      for (const kind of ['livenessProbe', 'readinessProbe']) {
        const get = obj(obj(container[kind]).httpGet);
        if (get.path === undefined) {
          problems.push(`${here}: no ${kind} httpGet`);
          continue;
        }
        const port = ports.get(get.port) ?? String(get.port);
        if (port !== servedPort(args)) problems.push(`${here}: ${kind} polls port ${port}, not the one it serves`);
        if (args[0] === 'bridge' || args[0] === 'dashboard') {
          probes.push({ process: args[0], path: String(get.path), where: `${here} ${kind}` });
        }
      }
      if (args[0] !== 'bridge') continue;
      const drain = graceOf(args, context);
      const period = Number(pod.terminationGracePeriodSeconds ?? 30);
      if (!(period > drain)) {
        problems.push(`${where}: terminationGracePeriodSeconds ${period} is not longer than the drain (${drain} s)`);
      }
      const keysDir = flagValue(args, '--keys-dir') ?? '';
      if (!mounts.some((m) => secretVolumes.has(m.name) && m.mountPath === keysDir)) {
        problems.push(`${here}: --keys-dir ${keysDir} is not a mounted Secret`);
      }
    }
  }
  for (const service of docs.filter((d) => d.kind === 'Service')) {
    const spec = obj(service.spec);
    const where = `Service ${String(obj(service.metadata).name)}`;
    if ((spec.type ?? 'ClusterIP') !== 'ClusterIP') problems.push(`${where}: type ${String(spec.type)}, not ClusterIP`);
    const selector = Object.entries(obj(spec.selector));
    const target = deployments.find((d) => {
      const labels = obj(obj(obj(obj(d.spec).template).metadata).labels);
      return selector.length > 0 && selector.every(([k, v]) => labels[k] === v);
    });
    if (!target) problems.push(`${where}: selects no Deployment`);
    const names = list(obj(obj(obj(target?.spec).template).spec).containers).flatMap((c) =>
      list(obj(c).ports).map((p) => obj(p).name),
    );
    for (const port of list(spec.ports).map(obj)) {
      if (!names.includes(port.targetPort)) problems.push(`${where}: targetPort ${String(port.targetPort)} is no port`);
    }
  }
  return { problems, probes };
}

/**
 * The rediacc arguments of every `… run --rm admin ARGS` line in a text (the README's Deploy section, the compose
 * file's comments), quotes removed; a value from the shell (`"$(cat …)"`) is left for cliProblems to skip.
 */
export function adminRuns(text: string): string[][] {
  const joined = text.replace(/\\\n[#\s]*/g, ' ');
  return [...joined.matchAll(/run --rm admin ([a-z-][^\n`]*)/g)].map((m) =>
    [...(m[1] ?? '').replace(/\s+#.*$/, '').matchAll(/"[^"]*"|'[^']*'|\S+/g)].map((t) =>
      t[0].replace(/^(["'])(.*)\1$/, '$2'),
    ),
  );
}

/** Environment entries that would put a secret in the file: a secret-like name or a URL with credentials. */
export function secretEnvProblems(env: Record<string, unknown>, where: string): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === null || name.endsWith('_FILE')) continue;
    if (/PASS|SECRET|TOKEN|(^|_)KEY$|^REDIS_URL$/i.test(name)) {
      problems.push(`${where}: ${name} holds a secret value; give a file (${name}_FILE) from a secret instead`);
    } else if (/:\/\/[^/\s@]*:[^/\s@]+@/.test(String(value))) {
      problems.push(`${where}: ${name} carries credentials in a URL`);
    }
  }
  return problems;
}
