/**
 * Ceilings on the stack's own servers: what NATS JetStream and Temporal manage for a chain of
 * three steps with nothing of Switchboard in between. Every Switchboard figure is compared with
 * these, measured in the same run on the same (shared, noisy) machine.
 */
import { fileURLToPath } from 'node:url';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { type ChainDriver, since } from './driver.js';
import type { StepSample } from './stats.js';
import { BenchSessionWorkflowType, benchIntentSignal } from './workflows.js';

/** Steps per chain: the booking chain's tool calls (and provider effects). */
export const CHAIN_STEPS = 3;

const STREAM = 'BENCH_RTT';
const SUBJECT = 'bench.rtt';

/**
 * NATS ceiling: per step, a JetStream publish (awaiting the PubAck, on a file-backed stream like
 * the intents stream) until a durable pull consumer in this process receives it and acks it.
 * The subject carries the conversation, as intents' subjects do.
 */
export async function natsDriver(natsUrl: string): Promise<ChainDriver> {
  const nc = await connect({ servers: natsUrl, name: 'bench' });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  await jsm.streams.add({
    name: STREAM,
    subjects: [`${SUBJECT}.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
  });
  await jsm.consumers.add(STREAM, { durable_name: 'bench', ack_policy: AckPolicy.Explicit, max_ack_pending: 10_000 });
  const consumer = await js.consumers.get(STREAM, 'bench');
  const messages = await consumer.consume({ max_messages: 1_000 });
  const waiters = new Map<string, () => void>();
  const pump = (async () => {
    for await (const m of messages) {
      m.ack();
      const id = m.string();
      waiters.get(id)?.();
      waiters.delete(id);
    }
  })();

  return {
    description: `${CHAIN_STEPS} × (JetStream publish → pull-consume), sequential per conversation`,
    notes: ['Time to first event = time to result = one publish → consume round trip.'],
    chain: async (index) => {
      const t0 = performance.now();
      const steps: StepSample[] = [];
      for (let s = 0; s < CHAIN_STEPS; s++) {
        const id = `${index}:${s}`;
        const s0 = performance.now();
        const received = new Promise<void>((resolve) => waiters.set(id, resolve));
        await js.publish(`${SUBJECT}.c${index}`, id, { msgID: `bench-${id}` });
        await received;
        const ms = since(s0);
        steps.push({ firstEventMs: ms, resultMs: ms });
      }
      return { ok: true, chainMs: since(t0), steps };
    },
    close: async () => {
      messages.stop();
      await pump.catch(() => {});
      await jsm.streams.delete(STREAM).catch(() => false);
      await nc.drain();
    },
  };
}

/** Bundles workflows.ts (beside this module in dist/) for the in-process worker. */
export function bundleBenchWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows.js', import.meta.url)),
    logger: quietLogger,
  });
}

/**
 * Temporal ceiling: per step, signal-with-start of the conversation's workflow (the session's
 * hand-off) → one no-op activity on another task queue → a local activity that tells this
 * process the result. Workers run in this process on the same dev server; the workflow bundle
 * is built from workflows.ts at start. Time to first event = until the no-op activity runs (the
 * earliest point at which the workflow has done anything of the step).
 */
export async function temporalDriver(
  address: string,
  namespace: string,
  run: string,
  bundle: WorkflowBundleWithSourceMap,
): Promise<ChainDriver> {
  const effectStarted = new Map<string, number>();
  const outcomes = new Map<string, () => void>();
  const { client, chainsQueue, effectsQueue, close } = await startBenchWorkers({
    address,
    namespace,
    bundle,
    queuePrefix: 'bench-',
    run,
    chainActivities: () => ({
      benchOutcome: async (id: string) => {
        outcomes.get(id)?.();
        outcomes.delete(id);
      },
    }),
    effectActivities: {
      benchEffect: async (id: string) => {
        effectStarted.set(id, performance.now());
      },
    },
  });

  return {
    description: `${CHAIN_STEPS} × (signal-with-start → no-op activity → local activity reports), one workflow per conversation`,
    notes: [
      'Workers in the harness process (which also runs the load and the sandboxes); workflow bundled at start.',
      'Time to first event = until the no-op activity starts.',
    ],
    chain: async (index) => {
      const workflowId = `bench-session-${run}-${index}`;
      const t0 = performance.now();
      const steps: StepSample[] = [];
      for (let s = 0; s < CHAIN_STEPS; s++) {
        const id = `${workflowId}:${s}`;
        const s0 = performance.now();
        const done = new Promise<void>((resolve) => outcomes.set(id, resolve));
        await client.workflow.signalWithStart(BenchSessionWorkflowType, {
          workflowId,
          taskQueue: chainsQueue,
          args: [{ effectsQueue, intents: CHAIN_STEPS }],
          signal: benchIntentSignal,
          signalArgs: [id],
        });
        await done;
        const started = effectStarted.get(id);
        effectStarted.delete(id);
        steps.push({ resultMs: since(s0), ...(started === undefined ? {} : { firstEventMs: started - s0 }) });
      }
      return { ok: true, chainMs: since(t0), steps };
    },
    close,
  };
}

/** Workers and a client of an in-process Temporal ceiling, from {@link startBenchWorkers}. */
export interface BenchWorkers {
  client: Client;
  /** The task queue of the workflows (and of their local activities). */
  chainsQueue: string;
  /** The task queue of the no-op provider effects. */
  effectsQueue: string;
  /** Shuts the workers down and closes both connections. */
  close(): Promise<void>;
}

/**
 * The in-process half of a Temporal ceiling: a client, a worker on `<prefix>chains-<run>` with
 * the workflow bundle and `chainActivities` (given the client, for activities that start
 * workflows), and one on `<prefix>effects-<run>` with `effectActivities`, both running until
 * `close()`.
 */
export async function startBenchWorkers(options: {
  address: string;
  namespace: string;
  bundle: WorkflowBundleWithSourceMap;
  queuePrefix: string;
  run: string;
  chainActivities: (client: Client) => object;
  effectActivities: object;
}): Promise<BenchWorkers> {
  const { address, namespace } = options;
  const chainsQueue = `${options.queuePrefix}chains-${options.run}`;
  const effectsQueue = `${options.queuePrefix}effects-${options.run}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const native = await NativeConnection.connect({ address });
  const workers = [
    await Worker.create({
      connection: native,
      namespace,
      taskQueue: chainsQueue,
      workflowBundle: options.bundle,
      activities: options.chainActivities(client),
    }),
    await Worker.create({
      connection: native,
      namespace,
      taskQueue: effectsQueue,
      activities: options.effectActivities,
    }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    client,
    chainsQueue,
    effectsQueue,
    close: async () => {
      for (const w of workers) w.shutdown();
      await running;
      await connection.close();
      await native.close();
    },
  };
}

/** Webpack's bundling chatter is not part of the report. */
const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
