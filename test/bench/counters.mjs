// A preload (`node --import ./counters.mjs main.mjs …`) that counts what a process sends, for the cost rows: the
// bridge and the raw BullMQ worker each run with it, unchanged. It wraps the prototypes both share from the
// repository's node_modules, so nothing in the measured code changes:
// - ioredis `Redis.prototype.sendCommand` (every command, pipelines and scripts included): commands by name
//   (EVALSHA by its BullMQ script), and round trips: the commands one connection sends within one turn of the
//   event loop count as one round trip (they go out together; the sender waits for their replies at most once).
//   Blocking reads (BZPOPMIN, XREAD BLOCK, …) are counted apart: they wait for work, not for Redis.
// - ssh2: channel opens and channel requests (the `Protocol` messages the client sends), channel data messages,
//   SFTP requests (open, read, fstat, close, …), and the bytes read and written on each SSH socket.
// On SIGUSR2 it writes everything so far, with process.cpuUsage(), as JSON to $RDC_BENCH_COUNTERS. With
// RDC_BENCH_TRACE=1 it also keeps a trace: [CLOCK_MONOTONIC ms, what] for each command and message it sends
// (the bench's clock too: process.hrtime), which profile-one.mjs cuts into one task's steps.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../package.json', import.meta.url));
const { Redis } = require('ioredis');
const { Client } = require('ssh2');
const Protocol = require('ssh2/lib/protocol/Protocol.js');
const { SFTP } = require('ssh2/lib/protocol/SFTP.js');

const BLOCKING = new Set(['bzpopmin', 'bzpopmax', 'blpop', 'brpop', 'brpoplpush', 'blmove', 'bzmpop', 'blmpop']);
const SSH_OPENS = ['session', 'directTcpip'];
const SSH_REQUESTS = ['exec', 'subsystem', 'env', 'pty', 'shell', 'signal', 'windowChange'];
const SSH_OTHER = ['channelData', 'channelEOF', 'channelClose', 'channelWindowAdjust'];
const SFTP_REQUESTS = [
  'open',
  'close',
  'read',
  'write',
  'fstat',
  'stat',
  'lstat',
  'opendir',
  'readdir',
  'unlink',
  'rename',
  'mkdir',
  'rmdir',
  'realpath',
  'readlink',
  'symlink',
  'setstat',
  'fsetstat',
];

const counts = { redis: {}, redisRoundTrips: 0, redisBlocking: 0, ssh: {}, sftp: {} };
const trace = process.env.RDC_BENCH_TRACE === '1' ? [] : null;
/** [ms, what, 1 when it starts a round trip (a Redis burst, an SSH request that is answered) else 0]. */
const note = (what, roundTrip) => trace?.push([Number(process.hrtime.bigint()) / 1e6, what, roundTrip ? 1 : 0]);
const ANSWERED = new Set(['session', 'exec', 'subsystem', 'channelData']);
let inSftp = false; // an SFTP request's channelData is traced as the request
const sockets = new Set();
const scriptNames = ourScripts();
const bump = (map, key) => {
  map[key] = (map[key] ?? 0) + 1;
};

/** BullMQ's scripts are named on the connection that defines them ("moveToFinished:5.x"); keep the name. */
function scriptName(redis, sha) {
  if (!scriptNames.has(sha)) {
    for (const [name, script] of Object.entries(redis.scriptsSet ?? {})) {
      scriptNames.set(script.sha, name.replace(/[:-][\d.]+$/, ''));
    }
  }
  return scriptNames.get(sha) ?? `script ${sha.slice(0, 8)}`;
}

/**
 * Our own scripts (`const NAME = luaScript(`…`)` in @rediacc/queue's build) by SHA-1, as "fencing.PROGRESS": the
 * bench names them the way runScript sends them, by the hash of their text.
 */
function ourScripts() {
  const names = new Map();
  const dist = new URL('../../packages/queue/dist/', import.meta.url);
  for (const file of readdirSync(dist).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(new URL(file, dist), 'utf8');
    for (const m of text.matchAll(/const (\w+) = luaScript\((`[^`]*`)\)/g)) {
      let source;
      try {
        source = new Function(`return ${m[2]};`)(); // the template's cooked text, as at run time
      } catch {
        continue; // built from other constants: named by its SHA-1 prefix instead
      }
      names.set(createHash('sha1').update(source).digest('hex'), `${file.replace(/\.js$/, '')}.${m[1]}`);
    }
  }
  return names;
}

const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function counted(command, stream) {
  const name = String(command?.name ?? '').toLowerCase();
  const blocking = BLOCKING.has(name) || ((name === 'xread' || name === 'xreadgroup') && command.args.some(isBlockArg));
  let starts = false;
  if (blocking) counts.redisBlocking++;
  else if (!this.__benchBurst) {
    this.__benchBurst = true;
    starts = true;
    counts.redisRoundTrips++;
    setImmediate(() => {
      this.__benchBurst = false;
    });
  }
  const label = name === 'evalsha' ? `evalsha ${scriptName(this, String(command.args[0]))}` : name;
  bump(counts.redis, label);
  note(`redis ${label}`, starts);
  return sendCommand.call(this, command, stream);
};

function isBlockArg(arg) {
  return String(arg).toLowerCase() === 'block';
}

for (const [target, names, into] of [
  [Protocol.prototype, [...SSH_OPENS, ...SSH_REQUESTS, ...SSH_OTHER], counts.ssh],
  [SFTP.prototype, SFTP_REQUESTS, counts.sftp],
]) {
  for (const name of names) {
    const original = target[name];
    const sftp = into === counts.sftp;
    target[name] = function counted(...args) {
      bump(into, name);
      if (sftp || !inSftp) note(`${sftp ? 'sftp' : 'ssh'} ${name}`, sftp || ANSWERED.has(name));
      if (!sftp) return original.apply(this, args);
      inSftp = true;
      try {
        return original.apply(this, args);
      } finally {
        inSftp = false;
      }
    };
  }
}

const connect = Client.prototype.connect;
Client.prototype.connect = function counted(cfg) {
  const out = connect.call(this, cfg);
  if (this._sock) sockets.add(this._sock);
  return out;
};

function snapshot() {
  let bytesRead = 0;
  let bytesWritten = 0;
  for (const s of sockets) {
    bytesRead += s.bytesRead ?? 0;
    bytesWritten += s.bytesWritten ?? 0;
  }
  return {
    ...structuredClone(counts),
    sshBytes: { read: bytesRead, written: bytesWritten },
    cpu: process.cpuUsage(),
    ...(trace ? { trace } : {}),
  };
}

const file = process.env.RDC_BENCH_COUNTERS;
if (file) process.on('SIGUSR2', () => writeFileSync(file, JSON.stringify(snapshot())));
