// agent.sh is a real shell file: shellcheck finds nothing in it (and does find a planted mistake), and the built
// package ships the very same file, which the bridge loads at runtime.
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_SCRIPT_PATH, agentCommand, agentScript } from './script.js';

const scratch = mkdtempSync(join(tmpdir(), 'rdc-agent-sh-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function shellcheck(path: string) {
  const result = spawnSync('shellcheck', ['-s', 'sh', '-f', 'gcc', path], { encoding: 'utf8' });
  if (result.error) throw new Error(`shellcheck is not installed (.ci/run installs it): ${result.error.message}`);
  return { status: result.status, findings: result.stdout.trim() };
}

describe('agent.sh', () => {
  it('passes shellcheck as a POSIX sh script', () => {
    expect(shellcheck(AGENT_SCRIPT_PATH.pathname)).toEqual({ status: 0, findings: '' });
  });

  it('fails shellcheck with a planted mistake (the check can fail)', () => {
    const planted = join(scratch, 'agent.sh');
    copyFileSync(AGENT_SCRIPT_PATH, planted);
    appendFileSync(planted, 'forget() { rm -f $rdc_dir/$1.out; }\n');
    const { status, findings } = shellcheck(planted);
    expect(status).not.toBe(0);
    expect(findings).toContain('SC2086');
  });

  it('ships in the built package, identical to the source', () => {
    const built = new URL('../../dist/agent/agent.sh', import.meta.url);
    expect(readFileSync(built, 'utf8')).toBe(readFileSync(AGENT_SCRIPT_PATH, 'utf8'));
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(pkg.files).toContain('dist');
  });

  it('travels without its comments, and with every line of code', () => {
    const source = readFileSync(AGENT_SCRIPT_PATH, 'utf8').split('\n');
    const code = source.filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
    expect(agentScript().split('\n')).toEqual(code);
    expect(agentCommand('token1234')).not.toContain('shellcheck');
    expect(agentCommand('token1234')).toContain('while IFS= read -r rdc_line; do eval "$rdc_line"; done');
  });
});
