import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseSample, sampleCommand } from './machine-sample.js';

const DEBIAN = `@rdc-load
0.52 0.58 0.59 1/467 12345
@rdc-mem
MemTotal:        8039672 kB
MemFree:          421460 kB
MemAvailable:    5120000 kB
Buffers:          310144 kB
Cached:          4210312 kB
@rdc-df
Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/sda1         61255492 31234560  26881676      54% /
`;

describe('parseSample', () => {
  it('reads load, memory (total − available) and the free space of the run directory', () => {
    expect(parseSample(DEBIAN)).toEqual({
      load1: 0.52,
      load5: 0.58,
      load15: 0.59,
      memTotalBytes: 8039672 * 1024,
      memUsedBytes: (8039672 - 5120000) * 1024,
      diskFreeBytes: 26881676 * 1024,
    });
  });

  it('falls back to MemFree + Buffers + Cached on kernels without MemAvailable', () => {
    const old = DEBIAN.replace(/MemAvailable:.*\n/, '');
    expect(parseSample(old).memUsedBytes).toBe((8039672 - 421460 - 310144 - 4210312) * 1024);
  });

  it('reads df lines whose filesystem or mount point hold spaces, and CRLF output', () => {
    const out = `@rdc-df\r\nFilesystem 1024-blocks Used Available Capacity Mounted on\r\nmy disk 7 1000 400 600 40% /mnt/my runs\r\n`;
    expect(parseSample(out).diskFreeBytes).toBe(600 * 1024);
  });

  it('gives null, never a wrong number, for missing or garbled sections', () => {
    const nothing = {
      load1: null,
      load5: null,
      load15: null,
      memUsedBytes: null,
      memTotalBytes: null,
      diskFreeBytes: null,
    };
    expect(parseSample('')).toEqual(nothing);
    expect(parseSample('bash: cat: command not found\n\u0000\u00ff garbage')).toEqual(nothing);
    expect(parseSample('@rdc-load\nNaN 1 2 1/2 3\n@rdc-mem\nMemTotal: lots kB\n@rdc-df\nFilesystem\n')).toEqual(
      nothing,
    );
    expect(parseSample('@rdc-load\n-1 0.5 0.5\n@rdc-mem\nMemTotal: 100 kB\nMemAvailable: 200 kB\n')).toMatchObject({
      load1: null,
      memTotalBytes: 100 * 1024,
      memUsedBytes: null,
    });
  });

  it('a machine without /proc (macOS, BSD) still gives its disk', () => {
    const out = `@rdc-load\n@rdc-mem\n@rdc-df\nFilesystem 1024-blocks Used Available Capacity Mounted on\n/dev/disk3s1 494384795 10861340 248380484 5% /\n`;
    expect(parseSample(out)).toMatchObject({ load1: null, memTotalBytes: null, diskFreeBytes: 248380484 * 1024 });
  });

  it('the command runs under sh here and parses to plausible numbers, even for a quoted directory', () => {
    const out = execFileSync('sh', ['-c', sampleCommand(`${tmpdir()}/it's not there`)], { encoding: 'utf8' });
    expect(parseSample(out).diskFreeBytes).toBeNull();
    const sample = parseSample(execFileSync('sh', ['-c', sampleCommand(tmpdir())], { encoding: 'utf8' }));
    expect(sample.load1).toBeGreaterThanOrEqual(0);
    expect(sample.memTotalBytes).toBeGreaterThan(0);
    expect(sample.memUsedBytes).toBeGreaterThan(0);
    expect(sample.diskFreeBytes).toBeGreaterThan(0);
  });
});
