// Vitest glue: one Harness per test file, closed after the file's last test.
import { afterAll } from 'vitest';
import { Harness } from './harness.js';

export function useHarness(): Harness {
  const harness = new Harness();
  afterAll(() => harness.close());
  return harness;
}
