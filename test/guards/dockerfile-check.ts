// A Dockerfile read as text (no Docker engine runs here) and held against the repository it is built from: stages,
// where each image path comes from, copied paths and scripts that must exist, the user, healthcheck and entrypoint
// of each target. Returns what it finds wrong, one line per problem, so a test can plant a violation and see it
// named (docker-files.test.ts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Command } from 'commander';
import { DockerfileParser } from 'dockerfile-ast';
import { cliProblems } from './cli-args-check.js';

export interface Instr {
  keyword: string;
  args: string[];
  flags: Map<string, string | null>;
  /** The exec (JSON) form's strings, or null for the shell form. */
  json: string[] | null;
  /** The working directory the instruction runs in. */
  workdir: string;
  line: number;
}

export interface Stage {
  name: string;
  base: string;
  instrs: Instr[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let workdir = '/';
  for (const i of DockerfileParser.parse(text).getInstructions()) {
    const keyword = i.getKeyword();
    const args = i.getArguments().map((a) => a.getValue());
    if (keyword === 'FROM') {
      const base = args[0] ?? '';
      workdir = stages.find((s) => s.name === base)?.instrs.at(-1)?.workdir ?? '/';
      stages.push({ name: args[2] ?? String(stages.length), base, instrs: [] });
      continue;
    }
    if (keyword === 'WORKDIR') workdir = posix.resolve(workdir, args[0] ?? '.');
    const flags = new Map<string, string | null>();
    const modifiable = i as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] };
    for (const flag of modifiable.getFlags?.() ?? []) flags.set(flag.getName(), flag.getValue());
    const jsonOf = i as unknown as { getJSONStrings?: () => { getJSONValue(): string }[] };
    let json = jsonOf.getJSONStrings ? jsonOf.getJSONStrings().map((a) => a.getJSONValue()) : null;
    if (json?.length === 0) json = null;
    if (keyword === 'HEALTHCHECK' && args[0] === 'CMD') json = jsonArray(args.slice(1).join(' '));
    stages.at(-1)?.instrs.push({ keyword, args, flags, json, workdir, line: i.getRange().start.line + 1 });
  }
  return stages;
}

function jsonArray(text: string): string[] | null {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map(String) : null;
  } catch {
    return null;
  }
}

/** The stage and the stages it is built FROM, base first. */
export function chainOf(stages: Stage[], name: string): Stage[] {
  const stage = stages.find((s) => s.name === name);
  if (!stage) return [];
  return [...chainOf(stages, stage.base), stage];
}

function lastOf(chain: Stage[], keyword: string): Instr | undefined {
  return chain.flatMap((s) => s.instrs).findLast((i) => i.keyword === keyword);
}

function envOf(chain: Stage[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const i of chain.flatMap((s) => s.instrs).filter((i) => i.keyword === 'ENV')) {
    for (const arg of i.args) {
      const at = arg.indexOf('=');
      if (at > 0) env.set(arg.slice(0, at), arg.slice(at + 1));
    }
  }
  return env;
}

/**
 * Where a path of the image comes from: the repository path its last covering COPY took it from (through other
 * stages' COPYs), or undefined when no COPY put it there (the base image, a RUN).
 */
export function sourceOf(stages: Stage[], root: string, stageName: string, path: string): string | undefined {
  const copies = chainOf(stages, stageName)
    .flatMap((s) => s.instrs)
    .filter((i) => i.keyword === 'COPY');
  for (const copy of copies.reverse()) {
    const destArg = copy.args.at(-1) ?? '.';
    const dest = posix.resolve(copy.workdir, destArg);
    const from = copy.flags.get('from');
    for (const source of copy.args.slice(0, -1)) {
      // A directory's contents land in dest; a file lands in dest/NAME when dest ends with "/".
      const intoDir = destArg.endsWith('/') && !isDirectory(stages, root, from, source);
      const target = intoDir ? `${dest}/${posix.basename(source)}` : dest;
      if (path !== target && !path.startsWith(`${target}/`)) continue;
      const within = posix.join(source, path.slice(target.length));
      return from ? sourceOf(stages, root, from, within) : within;
    }
  }
  return undefined;
}

function isDirectory(stages: Stage[], root: string, from: string | null | undefined, source: string): boolean {
  if (source.endsWith('/')) return true;
  const repoPath = from ? sourceOf(stages, root, from, source) : source;
  if (repoPath === undefined) return posix.extname(source) === '';
  return existsSync(join(root, repoPath)) && statSync(join(root, repoPath)).isDirectory();
}

/** A .dockerignore's patterns as one test: does the build context leave this repository path out? */
export function dockerIgnore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const pattern = line.replace(/^!/, '');
      const re = pattern
        .split('**/')
        .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
        .join('(?:.*/)?');
      return { re: new RegExp(`^${re}(?:/.*)?$`), keep: line.startsWith('!') };
    });
  // The last pattern that matches decides; "!pattern" takes a path back in.
  return (path) => {
    let ignored = false;
    for (const rule of rules) if (rule.re.test(path.replace(/\/$/, ''))) ignored = !rule.keep;
    return ignored;
  };
}

export interface ImageTarget {
  healthUrl?: string;
  entrypoint: string[] | null;
  cmd: string[] | null;
}

/**
 * A Dockerfile built from `root`: every COPY source exists (and is not left out by the ignore file), every stage
 * COPY --from names exists, and with `rediacc: true` every target (a stage no other is built from) runs as a
 * non-root user, has a HEALTHCHECK on /healthz, STOPSIGNAL SIGTERM and an exec-form ENTRYPOINT whose script, and
 * every image path the script or the healthcheck names, exists in the built workspace.
 */
export function checkDockerfile(
  text: string,
  options: { root: string; ignored: (path: string) => boolean; rediacc: boolean; program?: Command },
): { problems: string[]; targets: Map<string, ImageTarget> } {
  const problems: string[] = [];
  const stages = parseDockerfile(text);
  const names = new Set(stages.map((s) => s.name));
  for (const stage of stages) {
    for (const copy of stage.instrs.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
      const from = copy.flags.get('from');
      if (from && !names.has(from)) problems.push(`line ${copy.line}: COPY --from=${from}: no such stage`);
      for (const source of copy.args.slice(0, -1)) {
        if (from) {
          const repoPath = sourceOf(stages, options.root, from, source);
          if (repoPath && !existsSync(join(options.root, repoPath))) {
            problems.push(
              `line ${copy.line}: COPY --from=${from} ${source}: ${repoPath} is not in the built workspace`,
            );
          }
          if (
            installsDevDependencies(stages, from) &&
            (/node_modules/.test(source) || source === workdirOf(stages, from))
          ) {
            problems.push(`line ${copy.line}: COPY --from=${from} ${source} brings dev dependencies into the image`);
          }
          continue;
        }
        if (!existsSync(join(options.root, source))) {
          problems.push(`line ${copy.line}: COPY source ${source} does not exist in the build context`);
        } else if (options.ignored(source)) {
          problems.push(`line ${copy.line}: COPY source ${source} is left out by the .dockerignore`);
        }
      }
    }
  }
  const targets = new Map<string, ImageTarget>();
  // Targets: stages no other stage is built FROM or copies from.
  const used = new Set(stages.flatMap((s) => [s.base, ...s.instrs.map((i) => i.flags.get('from'))]));
  const leaves = stages.filter((s) => !used.has(s.name));
  for (const leaf of leaves) {
    const chain = chainOf(stages, leaf.name);
    const entrypoint = lastOf(chain, 'ENTRYPOINT');
    const cmd = lastOf(chain, 'CMD');
    const where = `target ${leaf.name}`;
    if (!entrypoint?.json) problems.push(`${where}: ENTRYPOINT must be in exec form, ["…"], so signals reach it`);
    const script = entrypoint?.json?.[0];
    if (script?.startsWith('/')) problems.push(...checkScript(stages, leaf.name, script, options.root, where));
    const target: ImageTarget = { entrypoint: entrypoint?.json ?? null, cmd: cmd?.json ?? null };
    targets.set(leaf.name, target);
    if (!options.rediacc) continue;
    const user = lastOf(chain, 'USER')?.args[0];
    if (!user) problems.push(`${where}: no USER: the image would run as root`);
    else if (/^(root|0)(:|$)/.test(user)) problems.push(`${where}: USER ${user} is root`);
    if (lastOf(chain, 'STOPSIGNAL')?.args[0] !== 'SIGTERM') problems.push(`${where}: STOPSIGNAL SIGTERM missing`);
    const health = lastOf(chain, 'HEALTHCHECK');
    const healthUrl = envOf(chain).get('RDC_HEALTH_URL');
    if (!health?.json) problems.push(`${where}: no exec-form HEALTHCHECK CMD`);
    else {
      for (const path of health.json.filter((a) => a.startsWith('/'))) {
        const repoPath = sourceOf(stages, options.root, leaf.name, path);
        if (!repoPath || !existsSync(join(options.root, repoPath))) {
          problems.push(`${where}: HEALTHCHECK runs ${path}, which no COPY puts in the image`);
        }
      }
      const polled = health.json.find((a) => a.includes('://')) ?? healthUrl;
      if (!polled || new URL(polled).pathname !== '/healthz') {
        problems.push(`${where}: HEALTHCHECK does not poll /healthz (RDC_HEALTH_URL=${healthUrl ?? 'unset'})`);
      } else target.healthUrl = polled;
    }
    if (options.program && target.cmd) {
      problems.push(...cliProblems(options.program, target.cmd, `${where} CMD`));
    }
  }
  return { problems, targets };
}

function workdirOf(stages: Stage[], name: string): string | undefined {
  return chainOf(stages, name).at(-1)?.instrs.at(-1)?.workdir;
}

/** The stage runs `npm ci` or `npm install` without `--omit=dev`: its node_modules hold the dev dependencies. */
function installsDevDependencies(stages: Stage[], name: string): boolean {
  const installs = chainOf(stages, name)
    .flatMap((s) => s.instrs)
    .filter((i) => i.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(i.args.join(' ')));
  return installs.some((i) => !i.args.includes('--omit=dev'));
}

/** The ENTRYPOINT script comes from the repository, is executable, and every /app path it names is in the image. */
function checkScript(stages: Stage[], stage: string, script: string, root: string, where: string): string[] {
  const repoPath = sourceOf(stages, root, stage, script);
  if (!repoPath || !existsSync(join(root, repoPath))) return [`${where}: ENTRYPOINT ${script}: no COPY puts it there`];
  const problems: string[] = [];
  if ((statSync(join(root, repoPath)).mode & 0o111) === 0) {
    problems.push(`${where}: ENTRYPOINT ${script} (${repoPath}) is not executable`);
  }
  for (const [path] of readFileSync(join(root, repoPath), 'utf8').matchAll(/\/app(?:\/[\w.@-]+)+/g)) {
    const source = sourceOf(stages, root, stage, path);
    if (!source || !existsSync(join(root, source))) {
      problems.push(`${where}: ${repoPath} runs ${path}, which is not in the image (${source ?? 'no COPY'})`);
    }
  }
  return problems;
}
