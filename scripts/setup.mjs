#!/usr/bin/env node
// Makes a fresh clone runnable: npm dependencies, a build of the workspaces when sources changed, the
// `rediacc` bin link, and (with --system) redis-server and sshd, installed with apt-get when running as root.
// Node built-ins only: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const say = (line) => process.stderr.write(`setup: ${line}\n`);

function run(cmd, cmdArgs) {
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
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

if (args.has('--system')) {
  const missing = [
    ['redis-server', 'redis-server'],
    ['sshd', 'openssh-server'],
    ['ssh-keygen', 'openssh-client'],
  ]
    .filter(([binary]) => !has(binary))
    .map(([, pkg]) => pkg);
  if (missing.length > 0) {
    if (process.getuid?.() === 0 && has('apt-get')) {
      say(`installing ${missing.join(' ')} with apt-get`);
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing]);
    } else {
      say(
        `missing ${missing.join(' ')}: install them (e.g. sudo apt-get install -y ${missing.join(' ')}) and run again`,
      );
      process.exit(1);
    }
  }
}

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  say('installing npm dependencies');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

if (args.has('--build') && stale()) {
  say('building');
  run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);
}

// npm links workspace bins only when their target exists at install time: link after the build.
const bin = join(root, 'node_modules', '.bin', 'rediacc');
const target = join(root, 'packages', 'cli', 'dist', 'bin.js');
if (existsSync(target)) {
  chmodSync(target, 0o755);
  if (!existsSync(bin)) {
    mkdirSync(dirname(bin), { recursive: true });
    symlinkSync('../@rediacc/cli/dist/bin.js', bin);
  }
}

/** Whether any package's sources are newer than its build. */
function stale() {
  const packages = join(root, 'packages');
  return readdirSync(packages).some((name) => {
    const dist = join(packages, name, 'dist', 'index.js');
    if (!existsSync(dist)) return true;
    const built = statSync(dist).mtimeMs;
    return newest(join(packages, name, 'src')) > built;
  });
}

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}
