/**
 * The stack a chaos test runs on, set up and torn down the same way in single and cluster
 * mode: the stack (Temporal persisted, so it can restart in place), the chaos agent, the test's
 * own bus and Temporal connections, and on a failure the seed and what was still running.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus } from '@switchboard/bus';
import { afterAll, beforeAll, onTestFailed } from 'vitest';
import { startTestStack, type TestStack, type TestStackOptions } from '../support/stack.js';
import { connectTemporal, type StackTemporal } from '../support/temporal.js';
import { saveBookingAgent } from './booking.js';
import type { ChaosMonkey } from './monkey.js';
import { stillRunning } from './still-running.js';

/** What a chaos test works with (filled in by its `beforeAll`). */
export interface ChaosHarness {
  stack: TestStack;
  logDir: string;
  /** The test's own bus connection: the monkey watches the orchestrators' unacked intents. */
  bus: Bus;
  temporal: StackTemporal;
  /** The monkey of the run, once it started (stopped and settled before the stack stops). */
  monkey?: ChaosMonkey;
  /** Chains the client is driving now (index → what it is doing), for the report of a failed run. */
  chainsInFlight: Map<number, string>;
}

/**
 * Registers the hooks that start the stack (with `options`, Temporal persisted) and stop it,
 * and returns the harness they fill in. `describe` says what the run is, for the first line.
 */
export function useChaosStack(describe: string, options: TestStackOptions): ChaosHarness {
  const h = { chainsInFlight: new Map<number, string>() } as ChaosHarness;
  beforeAll(async () => {
    h.logDir = mkdtempSync(join(tmpdir(), 'switchboard-chaos-'));
    console.log(`${describe}, logs in ${h.logDir}`);
    // Temporal keeps its state in a file, so restarting it in place loses nothing.
    h.stack = await startTestStack(h.logDir, { exportSpans: false, persistTemporal: true, ...options });
    await saveBookingAgent(h.stack);
    h.bus = await connectBus(h.stack.infra.natsUrl, { name: 'chaos-test' });
    h.temporal = await connectTemporal(h.stack.infra.temporalAddress);
  }, 240_000);

  afterAll(async () => {
    // A failed or timed-out run may leave the monkey mid-restart: let it finish first, so no
    // service is started again after the stack has stopped.
    h.monkey?.stop();
    await h.monkey?.settle();
    await h.temporal?.close();
    await h.bus?.close();
    await h.stack?.stop();
  }, 90_000);
  return h;
}

/**
 * On a failed test, however it fails (an assertion, an error, the test's time running out),
 * prints `<label> seed <seed> FAILED` and what was still running: chains, runs not terminal with
 * their last event and session, intents JetStream holds, open workflows.
 */
export function reportFailure(h: ChaosHarness, label: string, seed: number): void {
  onTestFailed(async () => {
    const lines = await stillRunning({
      db: h.stack.db,
      bus: h.bus,
      temporal: h.temporal.client,
      tenantId: h.stack.seed.tenantId,
      chainsInFlight: h.chainsInFlight,
    });
    console.log(
      `${label} seed ${seed} FAILED (replay with CHAOS_SEED=${seed}; logs in ${h.logDir}); still running:\n${lines.join('\n')}`,
    );
  }, 120_000);
}
