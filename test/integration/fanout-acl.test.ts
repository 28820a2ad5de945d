// Fan-out batches under the team ACL users `acl apply` makes: an operator creates and cancels batches (their index
// keys), a bridge user runs them (batch slots, the stop flag), a viewer inspects them, and nobody reaches another
// team's batches.
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { expect, it } from 'vitest';
import { aclFleet } from '../harness/acl-fleet.js';
import { useHarness } from '../harness/index.js';

const h = useHarness();

it('an operator creates a batch, a bridge user runs it with --max-parallel and --stop-on-failure, a viewer inspects it', async () => {
  const fleet = await aclFleet(h, ['A', 'B']);
  const { machine } = fleet;
  await fleet.admin.machines.add({
    name: 'm2',
    team: 'A',
    host: machine.host,
    port: machine.port,
    user: machine.user,
    keyFile: machine.privateKeyPath,
    hostKeyFingerprint: machine.hostKeyFingerprint,
  });
  for (const name of ['m1', 'm2']) await fleet.admin.machines.tag(name, { role: 'web' }, 'A');
  const operator = fleet.clientAs('A', 'operator');
  const created = await operator.batches.create({
    select: 'role=web',
    command: 'exit 3',
    maxParallel: 1,
    stopOnFailure: true,
  });
  expect(created).toMatchObject({ team: 'A', machines: ['m1', 'm2'] });
  const bridge = await startBridge(
    { redisUrl: fleet.urlOf('A', 'bridge'), teams: ['A'], teamKeys: { A: fleet.teamKeys.A! }, name: 'acl-fan' },
    { logger: createLogger({ name: 'test', level: 'silent' }) },
  );
  h.own(() => bridge.close());
  const viewer = fleet.clientAs('A', 'viewer');
  let summary: unknown;
  for await (const event of viewer.batches.watch(created.batchId, { pollMs: 100 })) {
    if (event.type === 'done') summary = event.batch.summary;
  }
  expect(summary).toEqual({ completed: 0, failed: 1, cancelled: 1, pending: 0 });

  // Cancelled whole by the operator; team B's operator does not even find it.
  const second = await operator.batches.create({ machines: ['m1', 'm2'], command: 'sleep 5', maxParallel: 1 });
  await expect(fleet.clientAs('B', 'operator').batches.inspect(second.batchId)).rejects.toMatchObject({
    code: 'RDC_BATCH_UNKNOWN',
  });
  const results = await operator.batches.cancel(second.batchId);
  expect(results.map((r) => r.outcome)).toEqual(['cancelled', 'cancelled']);
}, 120_000);
