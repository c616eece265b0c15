/**
 * Test support: the harness the consumer tests share (lane consumer, partitioned consumer). One
 * real nats-server (JetStream) per test file, a publishing bus, a fresh memory work-queue stream
 * per test, and the consumers a test started stopped after it. Items are a lane and a number, as
 * JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { type Bus, connectBus, publishDurable } from '@switchboard/bus';
import type { Logger } from '@switchboard/common';
import { type NatsServer, startNats } from '@switchboard/devstack';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** What the tests publish: a lane and a number, as JSON (anything else does not decode). */
export interface Item {
  lane: string;
  n: number;
}

/** A stream made by {@link ConsumerHarness.newStream}. */
export interface TestStream {
  stream: string;
  /** The stream's subject for a lane. */
  subject(lane: string): string;
  /** The stream's number in the file (its subjects are `<prefix><n>.>`). */
  n: number;
}

/** What {@link useConsumerHarness} gives a test file; valid inside its tests. */
export interface ConsumerHarness {
  /** The publishing connection (also usable as a consumer's). */
  readonly bus: Bus;
  /** Another connection to the same server (a "replica"), closed after the file. */
  connect(name: string): Promise<Bus>;
  /**
   * A fresh work-queue stream in memory: `<PREFIX>_<n>` on `<prefix><n>.>`; `config` adds to
   * it (given `n`, e.g. a subject transform naming the stream's subjects).
   */
  newStream(prefix: string, config?: (n: number) => Partial<StreamConfig>): Promise<TestStream>;
  /** Publishes an item as JSON (or raw bytes) with a fresh message id, which it returns. */
  publish(subject: string, data: Uint8Array | Item): Promise<string>;
  /** Stops `consumer` after the current test. */
  track<T extends { stop(): Promise<void> }>(consumer: T): T;
}

/**
 * Starts a nats-server for the calling test file (beforeAll) and stops it after (afterAll);
 * consumers given to `track` are stopped after each test.
 */
export function useConsumerHarness(name: string): ConsumerHarness {
  let dir: string | undefined;
  let nats: NatsServer | undefined;
  let publisher: Bus | undefined;
  const buses: Bus[] = [];
  const running: { stop(): Promise<void> }[] = [];
  let streams = 0;
  let msgIds = 0;

  const connect = async (connection: string): Promise<Bus> => {
    if (!nats) throw new Error('the consumer harness is used outside its test file');
    const bus = await connectBus(nats.url, { name: connection, reconnectForever: false });
    buses.push(bus);
    return bus;
  };
  const bus = (): Bus => {
    if (!publisher) throw new Error('the consumer harness is used outside its test file');
    return publisher;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `switchboard-${name}-`));
    nats = await startNats({ storeDir: join(dir, 'js'), logDir: dir });
    publisher = await connect(`${name}-test`);
  }, 60_000);

  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    // A test may have closed a replica's connection itself (a lost replica).
    for (const b of buses) if (!b.nc.isClosed()) await b.close();
    await nats?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  return {
    get bus() {
      return bus();
    },
    connect,
    newStream: async (prefix, config) => {
      const n = ++streams;
      const stream = `${prefix.toUpperCase()}_${n}`;
      await bus().jsm.streams.add({
        name: stream,
        subjects: [`${prefix}${n}.>`],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.Memory,
        ...config?.(n),
      });
      return { stream, subject: (lane) => `${prefix}${n}.${lane}`, n };
    },
    publish: async (subject, data) => {
      const id = `m${++msgIds}`;
      const bytes = data instanceof Uint8Array ? data : new TextEncoder().encode(JSON.stringify(data));
      await publishDurable(bus().js, subject, bytes, id, { traceparent: '', tracestate: '' });
      return id;
    },
    track: (consumer) => {
      running.push(consumer);
      return consumer;
    },
  };
}

/** Decodes an {@link Item}; anything else throws. */
export function decodeItem(data: Uint8Array): Item {
  const value = JSON.parse(new TextDecoder().decode(data)) as Item;
  if (typeof value?.lane !== 'string' || typeof value.n !== 'number') throw new TypeError('not an item');
  return value;
}

/** A logger keeping each line as an object (`level`, `msg` and the logged fields). */
export function recordingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const at = (level: string) => (fields: object, msg?: string) => void lines.push({ level, msg, ...fields });
  const log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal') };
  return { log: log as unknown as Logger, lines };
}

/** Polls `probe` until it holds (bounded generously: the machine may be loaded). */
export async function until(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
