import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAgentLine } from './events.js';

describe('parseAgentLine', () => {
  it('reads every event the agent writes', () => {
    expect(parseAgentLine('H 1 m /dev/shm/rdc-root/boot')).toEqual({
      type: 'hello',
      version: 1,
      mode: 'm',
      dir: '/dev/shm/rdc-root/boot',
    });
    expect(parseAgentLine('S t1 123')).toEqual({ type: 'started', id: 't1', pid: 123 });
    expect(parseAgentLine('D t1 3')).toEqual({ type: 'exited', id: 't1', code: 3 });
    expect(parseAgentLine('D t1 3 12')).toEqual({ type: 'exited', id: 't1', code: 3, bytes: 12 });
    expect(parseAgentLine('P t1 done 0')).toEqual({
      type: 'probe',
      id: 't1',
      run: { state: 'done', code: 0, deadline: false },
    });
    expect(parseAgentLine('P t1 done 143 deadline')).toEqual({
      type: 'probe',
      id: 't1',
      run: { state: 'done', code: 143, deadline: true },
    });
    expect(parseAgentLine('P t1 running 77')).toEqual({ type: 'probe', id: 't1', run: { state: 'running', pid: 77 } });
    expect(parseAgentLine('P t1 dead 127')).toEqual({
      type: 'probe',
      id: 't1',
      run: { state: 'dead', code: 127, deadline: false },
    });
    expect(parseAgentLine('P t1 absent')).toEqual({ type: 'probe', id: 't1', run: { state: 'absent' } });
    expect(parseAgentLine('E rundir /tmp/x is not owned by bob')).toEqual({
      type: 'error',
      message: 'rundir /tmp/x is not owned by bob',
    });
  });

  it('keeps a hello whose run directory has spaces', () => {
    expect(parseAgentLine('H 1 s /tmp/rdc-my user/b')).toMatchObject({ dir: '/tmp/rdc-my user/b', mode: 's' });
  });

  it('parses a refused start', () => {
    expect(parseAgentLine('B t1')).toEqual({ type: 'busy', id: 't1' });
  });

  it('reports malformed lines as unknown instead of guessing', () => {
    for (const line of [
      'S t1 x',
      'D t1',
      'B t1 x',
      'P t1 done',
      'P t1 running -1',
      'P t1 sleeping 1',
      'H x m /d',
      'H 1 q /d',
      'X',
    ]) {
      expect(parseAgentLine(line)).toEqual({ type: 'unknown', line });
    }
  });

  it('never throws, whatever the line', () => {
    fc.assert(
      fc.property(fc.string(), (line) => {
        expect(parseAgentLine(line).type).toBeTypeOf('string');
      }),
    );
  });
});
