#!/usr/bin/env node
// Makes a fresh clone runnable: npm dependencies, a build of the workspaces when sources changed, the
// `rediacc` bin link, and redis-server and sshd: --system (./rediacc) installs them with apt-get when running as
// root, --check-system (npm test, npm run bench) only checks and fails naming what to install (.ci/run installs).
// Node built-ins only: it runs before node_modules exists. It runs before every `./rediacc` command, so it never
// writes to stdout (the command's output follows on it) and, when nothing changed, starts no other process.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const say = (line) => process.stderr.write(`setup: ${line}\n`);

function run(cmd, cmdArgs) {
  // The child's stdout goes to our stderr: stdout belongs to the command `./rediacc` runs next.
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: ['ignore', process.stderr.fd, 'inherit'] });
  if (result.status !== 0) {
    say(`\`${cmd} ${cmdArgs.join(' ')}\` failed (exit ${result.status})`);
    process.exit(1);
  }
}

function has(binary) {
  return [
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
    '/usr/local/bin',
    '/usr/local/sbin',
    ...(process.env.PATH ?? '').split(':'),
  ].some((dir) => dir && existsSync(join(dir, binary)));
}

if (args.has('--system') || args.has('--check-system')) {
  const missing = [
    ['redis-server', 'redis-server'],
    // The Cluster test joins its nodes with redis-cli (Debian's redis-server depends on redis-tools).
    ['redis-cli', 'redis-tools'],
    ['sshd', 'openssh-server'],
    ['ssh-keygen', 'openssh-client'],
  ]
    .filter(([binary]) => !has(binary))
    .map(([, pkg]) => pkg);
  if (missing.length > 0) {
    if (args.has('--system') && process.getuid?.() === 0 && has('apt-get')) {
      say(`installing ${missing.join(' ')} with apt-get`);
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing]);
    } else {
      say(
        `missing ${missing.join(' ')}: install them (sudo apt-get install -y ${missing.join(' ')}, or run .ci/run as root) and run again`,
      );
      process.exit(1);
    }
  }
}

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  say('installing npm dependencies');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

const stamp = join(root, 'node_modules', '.cache', 'rediacc-build-stamp');
if (args.has('--build')) {
  const sources = sourcesHash();
  const why = !existsSync(stamp)
    ? 'no build by setup yet'
    : readFileSync(stamp, 'utf8') !== sources
      ? 'sources changed since the last build'
      : builtOutputsExist()
        ? undefined
        : 'built files are missing';
  if (why) {
    say(`building (${why})`);
    run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);
    mkdirSync(dirname(stamp), { recursive: true });
    writeFileSync(stamp, sources);
  }
}

// npm links workspace bins only when their target exists at install time: link after the build.
const bin = join(root, 'node_modules', '.bin', 'rediacc');
const target = join(root, 'packages', 'cli', 'dist', 'bin.js');
if (existsSync(target)) {
  // Another local account using this checkout owns none of it: it needs nothing changed when the owner's setup ran.
  if ((statSync(target).mode & 0o111) !== 0o111)
    ownersOnly(() => chmodSync(target, 0o755), `make ${target} executable`);
  if (!existsSync(bin)) {
    ownersOnly(() => {
      mkdirSync(dirname(bin), { recursive: true });
      symlinkSync('../@rediacc/cli/dist/bin.js', bin);
    }, `link ${bin}`);
  }
}

/** Runs a setup step that writes into the checkout; refused for want of permission, says who can do it. */
function ownersOnly(step, what) {
  try {
    step();
  } catch (error) {
    if (error.code !== 'EACCES' && error.code !== 'EPERM') throw error;
    say(`cannot ${what} (${error.code}): this checkout belongs to another user; run ./rediacc once as its owner`);
  }
}

/**
 * A hash of everything the build reads (turbo.json's inputs of each package, the shared tsconfig and the lock
 * file), by content: a checkout or a touch that changes nothing costs no build, and any edit is seen. Modification
 * times are no guide here: turbo restores outputs from its cache with fresh ones, and tsc leaves unchanged outputs.
 */
function sourcesHash() {
  const hash = createHash('sha256');
  const add = (path) => {
    if (!existsSync(path)) return;
    hash.update(`${path.slice(root.length)}\0`);
    hash.update(readFileSync(path));
    hash.update('\0');
  };
  add(join(root, 'tsconfig.base.json'));
  add(join(root, 'package-lock.json'));
  for (const dir of packageDirs()) {
    add(join(dir, 'package.json'));
    add(join(dir, 'tsconfig.json'));
    for (const file of filesUnder(join(dir, 'src'))) add(file);
  }
  return hash.digest('hex');
}

/** Whether each package's entry points are built (a deleted dist is rebuilt even when no source changed). */
function builtOutputsExist() {
  return packageDirs().every((dir) => {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const bins = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {});
    const entries = existsSync(join(dir, 'src', 'index.ts')) ? [...bins, 'dist/index.js'] : bins;
    return entries.every((entry) => existsSync(join(dir, entry)));
  });
}

function packageDirs() {
  const packages = join(root, 'packages');
  return readdirSync(packages, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(packages, entry.name, 'package.json')))
    .map((entry) => join(packages, entry.name))
    .sort();
}

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}
