// Set-up file of every vitest project: a test that makes no assertion fails instead of passing by doing nothing
// (a test with no expect, or whose expects sit in a branch or callback that never ran).
import { beforeEach, expect } from 'vitest';

beforeEach(() => {
  expect.hasAssertions();
});
