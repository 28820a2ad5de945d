// The one cheap command a bridge runs to sample a machine, and the parser of what it prints. Each section is
// introduced by a marker line and parsed on its own, so a machine without /proc (or a df that fails) still gives
// the numbers it can: a missing or garbled section is null, never a wrong number.
import type { MachineSample } from '@rediacc/queue';
import { shellWord } from '../ssh/index.js';

const LOAD = '@rdc-load';
const MEM = '@rdc-mem';
const DISK = '@rdc-df';

/** Load averages, MemTotal/MemAvailable (with the pre-3.14 fields to fall back on), and df of `dir`. */
export function sampleCommand(dir: string): string {
  return [
    `echo ${LOAD}`,
    'cat /proc/loadavg 2>/dev/null',
    `echo ${MEM}`,
    "grep -E '^(MemTotal|MemAvailable|MemFree|Buffers|Cached):' /proc/meminfo 2>/dev/null",
    `echo ${DISK}`,
    `df -Pk ${shellWord(dir)} 2>/dev/null`,
    'exit 0',
  ].join('; ');
}

/** What the sample command printed, as numbers; null for what it could not tell. */
export function parseSample(output: string): MachineSample {
  const sections = splitSections(output);
  return { ...parseLoad(sections.get(LOAD)), ...parseMemory(sections.get(MEM)), ...parseDisk(sections.get(DISK)) };
}

function splitSections(output: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === LOAD || line === MEM || line === DISK) {
      current = [];
      sections.set(line, current);
    } else if (current && line !== '') current.push(line);
  }
  return sections;
}

/** A finite number ≥ 0 from text that is all number, else null. */
function count(text: string | undefined): number | null {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** `/proc/loadavg`: "0.52 0.58 0.59 1/467 12345". */
function parseLoad(lines: string[] | undefined): Pick<MachineSample, 'load1' | 'load5' | 'load15'> {
  const fields = lines?.[0]?.split(/\s+/) ?? [];
  const [load1, load5, load15] = [count(fields[0]), count(fields[1]), count(fields[2])];
  if (load1 === null || load5 === null || load15 === null) return { load1: null, load5: null, load15: null };
  return { load1, load5, load15 };
}

/** `/proc/meminfo` lines in kB. Available memory is MemAvailable, or MemFree + Buffers + Cached before 3.14. */
function parseMemory(lines: string[] | undefined): Pick<MachineSample, 'memUsedBytes' | 'memTotalBytes'> {
  const kb = new Map<string, number>();
  for (const line of lines ?? []) {
    const match = /^(\w+):\s+(\d+)\s*kB$/i.exec(line);
    if (match?.[1] && match[2]) kb.set(match[1], Number(match[2]));
  }
  const total = kb.get('MemTotal');
  const legacy = ['MemFree', 'Buffers', 'Cached'].map((k) => kb.get(k));
  const available =
    kb.get('MemAvailable') ??
    (legacy.every((v) => v !== undefined) ? legacy.reduce((a = 0, b = 0) => a + b, 0) : undefined);
  if (total === undefined || total <= 0 || available === undefined || available > total) {
    return { memUsedBytes: null, memTotalBytes: total && total > 0 ? total * 1024 : null };
  }
  return { memUsedBytes: (total - available) * 1024, memTotalBytes: total * 1024 };
}

/**
 * `df -Pk DIR`: a header, then "Filesystem 1024-blocks Used Available Capacity Mounted-on". The filesystem and
 * the mount point may hold spaces, so the numbers are found by their shape: three counts, then a percentage.
 */
function parseDisk(lines: string[] | undefined): Pick<MachineSample, 'diskFreeBytes'> {
  for (const line of (lines ?? []).slice(1)) {
    const match = /(?:^|\s)(\d+)\s+(\d+)\s+(\d+)\s+(\d+|-)%\s/.exec(`${line} `);
    const free = count(match?.[3]);
    if (free !== null) return { diskFreeBytes: free * 1024 };
  }
  return { diskFreeBytes: null };
}
