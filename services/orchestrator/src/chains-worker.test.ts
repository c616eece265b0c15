/**
 * The chains worker's stack-trace limit reaches the workflow sandbox: with 0 a waiting
 * workflow's stack-trace query names no frame (no stack was captured for its promises), with 10
 * it names the workflow function. Real Temporal dev server, the real workflow bundle.
 */
import type { SessionActivities } from '@switchboard/chains';
import { smsThreadWorkflowId } from '@switchboard/contracts';
import { startTemporal, type TemporalServer } from '@switchboard/devstack';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainsWorker } from './chains-worker.js';

let temporal: TemporalServer;
let connection: NativeConnection;
let clientConnection: Connection;
let client: Client;

beforeAll(async () => {
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never });
  temporal = await startTemporal();
  connection = await NativeConnection.connect({ address: temporal.address });
  clientConnection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection: clientConnection });
}, 120_000);

afterAll(async () => {
  await clientConnection?.close();
  await connection?.close();
  await temporal?.stop();
});

/** Starts a waiting SMS thread on a worker with `limit`, returns its `__stack_trace` answer. */
async function stackOfWaitingWorkflow(limit: number): Promise<string> {
  const taskQueue = `stack-trace-limit-${limit}`;
  const worker = await createChainsWorker({
    connection,
    namespace: 'default',
    taskQueue,
    // Neither is called: the SMS thread runs no activity.
    activities: {} as SessionActivities,
    db: {} as never,
    maxWorkflowTasks: 10,
    maxCachedWorkflows: 10,
    workflowStackTraceLimit: limit,
  });
  return worker.runUntil(async () => {
    const handle = await client.workflow.start('smsThread', {
      taskQueue,
      workflowId: smsThreadWorkflowId('tenant-stack', `+1555000000${limit % 10}`),
      args: [{ tenantId: 'tenant-stack', phone: `+1555000000${limit % 10}` }],
    });
    try {
      return await handle.query<string>('__stack_trace');
    } finally {
      await handle.terminate('test over');
    }
  });
}

describe('chains worker stack-trace limit', () => {
  it('captures no workflow stacks at 0 and names the waiting workflow at 10', async () => {
    const none = await stackOfWaitingWorkflow(0);
    const some = await stackOfWaitingWorkflow(10);
    expect(none).not.toMatch(/\bat\b/);
    expect(some).toMatch(/\bat smsThread\b/);
  }, 60_000);
});
