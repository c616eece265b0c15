/**
 * The chaos test's process killer. It SIGKILLs service processes at random moments and starts
 * them again, restarts the NATS and Temporal servers in place, and watches for processes that
 * die on their own (a service that cannot survive what was done to it). Everything it does is
 * drawn from a seeded {@link Rng}, so a failing run can be replayed with its seed.
 */
import type { Bus } from '@switchboard/bus';
import {
  type Infra,
  type ProviderSandboxes,
  type RestartablePiece,
  replicaName,
  type ServiceName,
  ServiceNames,
  type Services,
} from '@switchboard/devstack';
import type { Fault, FaultPlan } from '@switchboard/sandboxes/faults';
import { intentBacklog } from '../support/intent-consumers.js';
import type { Rng } from './prng.js';

/** One disruption. */
export type ChaosEvent =
  | {
      type: 'kill';
      service: ServiceName;
      /**
       * Which process of the service (cluster mode): a replica (0-based; default 0), or `'all'`
       * — every replica at once, so that whichever one was doing the timed work is among them.
       */
      replica?: number | 'all';
      /** How long the service stays dead. */
      downMs: number;
      /**
       * Time the kill to land mid-hand-over. For the Cal.com and Twilio workers: while the
       * provider is committing the worker's write (the sandbox holds the request, the worker
       * dies, then the provider commits) — the "worker crash after the provider accepted" case,
       * which a random moment would rarely hit. For the orchestrator: while intents are
       * delivered to it and not yet acked — the "orchestrator crash before ack" case.
       */
      inFlight?: boolean;
    }
  | {
      type: 'restart';
      piece: RestartablePiece;
      downMs: number;
      /** Which node of a NATS cluster (cluster mode). */
      node?: number;
    };

/** What the monkey did and saw. */
export interface ChaosReport {
  /** Kills per service, every replica counted (an `'all'` kill counts once per replica). */
  kills: Record<string, number>;
  /** Kills per process ({@link replicaName}: `orchestrator`, `orchestrator-2`, …). */
  replicaKills: Record<string, number>;
  /** Cluster mode: kills of one replica of a service while its other replicas ran on. */
  soloKills: Record<string, number>;
  /** Kills that landed mid-hand-over (a provider committing the worker's write; intents not yet acked). */
  inFlightKills: Record<string, number>;
  restarts: Record<RestartablePiece, number>;
  /** NATS restarts per cluster node (`n1`…; single mode: `n1`). */
  natsNodes: Record<string, number>;
  /** Exits nobody asked for, e.g. a service that shut down when NATS went away. */
  unexpectedExits: { service: string; code: number | null; signal: string | null; atMs: number }[];
  /** Timeline (ms since the monkey started), for the log when something fails. */
  timeline: string[];
}

/** What the monkey acts on. */
export interface ChaosTargets {
  services: Services;
  infra: Infra;
  sandboxes: ProviderSandboxes;
  /** A bus connection of the test's own, to see the orchestrator's unacked intents. */
  bus: Bus;
}

/** The processes a chaos run kills, each at least once: every service of the stack. */
export const KillableServices: readonly ServiceName[] = ServiceNames;

/** How long a sandbox holds the armed write before committing it; the worker is killed meanwhile. */
const IN_FLIGHT_HOLD_MS = 1500;
/**
 * How long an armed kill waits for the worker's write (or the orchestrator's unacked intents)
 * before it falls back to a plain kill. Longer than an effect activity's timeout: a timed kill
 * of one worker stalls every conversation whose next step is that worker's held write until the
 * activity times out and is retried, and in cluster mode, where a conversation's calls are all
 * handed over at once, nothing else is written or pending meanwhile (clean-clone CI, seed
 * 222998097: the Twilio kill came first, and the Cal.com and orchestrator kills armed after it
 * found no write and no unacked intent within 8 s, twice each, so the run failed).
 */
const IN_FLIGHT_WAIT_MS = 35_000;

/** How often a mandatory timed kill is tried before the run goes on without it (and fails). */
const MAX_TIMED_KILL_TRIES = 3;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The services whose mandatory kill is timed (see {@link ChaosEvent}'s `inFlight`). */
const TIMED: readonly ServiceName[] = ['calcom-worker', 'telephony-worker', 'orchestrator'];

/** How the stack runs: processes per service and NATS nodes (both 1 in single mode). */
export interface ChaosTopology {
  replicas: number;
  natsNodes: number;
}

/**
 * The mandatory part of a run, in random order. Single mode: every service killed once (the
 * Cal.com and Twilio workers at the moment their provider commits, the orchestrator while it
 * holds unacked intents), NATS restarted once and Temporal restarted once. Cluster mode: every
 * service has one replica (drawn at random) killed at a random moment, so the other replica
 * must carry on; the timed kills take every replica of their service at once (which of them is
 * writing to the provider, or holds the unacked intents, cannot be seen from outside); one NATS
 * node (drawn at random) is killed and restarted, and Temporal once. Extra random kills follow
 * while the load lasts (see {@link ChaosMonkey.run}).
 */
export function mandatoryEvents(rng: Rng, topology: ChaosTopology = { replicas: 1, natsNodes: 1 }): ChaosEvent[] {
  const cluster = topology.replicas > 1;
  const downMs = () => rng.int(200, 1500);
  const kills: ChaosEvent[] = KillableServices.flatMap((service): ChaosEvent[] => {
    if (!cluster) {
      return [{ type: 'kill', service, downMs: downMs(), ...(TIMED.includes(service) ? { inFlight: true } : {}) }];
    }
    const one: ChaosEvent = { type: 'kill', service, replica: rng.int(0, topology.replicas - 1), downMs: downMs() };
    if (!TIMED.includes(service)) return [one];
    return [one, { type: 'kill', service, replica: 'all', downMs: downMs(), inFlight: true }];
  });
  const restarts: ChaosEvent[] = (['nats', 'temporal'] as const).map((piece) => ({
    type: 'restart',
    piece,
    downMs: rng.int(300, 1500),
    ...(piece === 'nats' && topology.natsNodes > 1 ? { node: rng.int(0, topology.natsNodes - 1) } : {}),
  }));
  // In cluster mode the timed kills go first, while the load is surely there to time them by.
  if (!cluster) return rng.shuffle([...kills, ...restarts]);
  const timed = kills.filter((e) => e.type === 'kill' && e.inFlight === true);
  return [...rng.shuffle(timed), ...rng.shuffle([...kills.filter((e) => !timed.includes(e)), ...restarts])];
}

export class ChaosMonkey {
  readonly report: ChaosReport = {
    kills: Object.fromEntries(KillableServices.map((s) => [s, 0])),
    replicaKills: {},
    soloKills: {},
    inFlightKills: {},
    restarts: { nats: 0, temporal: 0 },
    natsNodes: {},
    unexpectedExits: [],
    timeline: [],
  };
  private readonly t0 = Date.now();
  /** PIDs this monkey killed (their exit is expected). */
  private readonly killed = new Set<number>();
  private stopping = false;
  /** Restarts after an unexpected exit, so the run can go on (the exit still fails the test). */
  private readonly recoveries = new Set<Promise<void>>();
  /** The event being executed by {@link run}. */
  private current: Promise<unknown> | undefined;

  private readonly topology: ChaosTopology;

  constructor(
    private readonly rng: Rng,
    private readonly targets: ChaosTargets,
  ) {
    const natsNodes = targets.infra.natsUrl.split(',').length;
    this.topology = { replicas: targets.services.replicas, natsNodes };
    for (const s of KillableServices) for (const r of this.replicas()) this.watch(s, r);
  }

  /** Replica numbers of every service: 0 … replicas − 1. */
  private replicas(): number[] {
    return Array.from({ length: this.topology.replicas }, (_, r) => r);
  }

  private note(line: string): void {
    this.report.timeline.push(`+${((Date.now() - this.t0) / 1000).toFixed(1)}s ${line}`);
  }

  /** Records the exit of a replica's current process unless this monkey caused it. */
  private watch(service: ServiceName, replica: number): void {
    const name = replicaName(service, replica);
    const proc = this.targets.services.processes()[name];
    if (proc === undefined) return;
    void proc.exited.then(({ code, signal }) => {
      if (this.killed.has(proc.pid) || this.stopping) return;
      this.report.unexpectedExits.push({ service: name, code, signal, atMs: Date.now() - this.t0 });
      this.note(`UNEXPECTED EXIT ${name} (pid ${proc.pid}, code ${code}, signal ${signal}); restarting`);
      const recovery = this.startAgain(service, replica).finally(() => this.recoveries.delete(recovery));
      this.recoveries.add(recovery);
    });
  }

  /** Starts a replica again, retrying while a restart fails (e.g. during an infra restart). */
  private async startAgain(service: ServiceName, replica: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.targets.services.restart(service, { replica });
        this.watch(service, replica);
        return;
      } catch (err) {
        this.note(`restart of ${replicaName(service, replica)} failed (attempt ${attempt}): ${(err as Error).message}`);
        if (attempt >= 10 || this.stopping) throw err;
        await sleep(1000);
      }
    }
  }

  /**
   * Runs one event to its end: the target is back and ready when this resolves. True when the
   * event was a timed kill that missed its moment (it became a plain kill).
   */
  async execute(event: ChaosEvent): Promise<boolean> {
    // A service that died on its own is being started again: let that finish first.
    await Promise.allSettled([...this.recoveries]);
    if (event.type === 'restart') {
      const piece = event.node === undefined ? event.piece : `${event.piece} node n${event.node + 1}`;
      this.note(`restart ${piece} (down ${event.downMs} ms)`);
      await this.targets.infra.restart(event.piece, {
        kill: true,
        downMs: event.downMs,
        ...(event.node === undefined ? {} : { node: event.node }),
      });
      this.report.restarts[event.piece]++;
      if (event.piece === 'nats') {
        const node = `n${(event.node ?? 0) + 1}`;
        this.report.natsNodes[node] = (this.report.natsNodes[node] ?? 0) + 1;
      }
      this.note(`${piece} is back`);
      return false;
    }
    const replicas = event.replica === 'all' ? this.replicas() : [event.replica ?? 0];
    const procs = replicas.map((r) => {
      const proc = this.targets.services.processes()[replicaName(event.service, r)];
      if (proc === undefined || !proc.alive()) {
        throw new Error(`${replicaName(event.service, r)} is not running; cannot kill it`);
      }
      return proc;
    });
    const names = replicas.map((r) => replicaName(event.service, r)).join(' + ');
    let inFlight = false;
    if (event.inFlight === true) {
      inFlight =
        event.service === 'orchestrator'
          ? await this.awaitUnackedIntents()
          : await this.awaitProviderWrite(event.service);
    }
    for (const proc of procs) {
      this.killed.add(proc.pid);
      proc.kill('SIGKILL');
    }
    await Promise.all(procs.map((p) => p.exited));
    // The orchestrator may ack between the poll that saw unacked intents and the kill; only
    // intents still unacked once it is dead are certain to be redelivered. (In cluster mode a
    // timed kill takes every orchestrator replica, so no live one holds them.)
    if (inFlight && event.service === 'orchestrator') inFlight = await this.hasUnackedIntents();
    this.report.kills[event.service] = (this.report.kills[event.service] ?? 0) + procs.length;
    for (const r of replicas) {
      const name = replicaName(event.service, r);
      this.report.replicaKills[name] = (this.report.replicaKills[name] ?? 0) + 1;
    }
    if (this.topology.replicas > 1 && replicas.length === 1) {
      this.report.soloKills[event.service] = (this.report.soloKills[event.service] ?? 0) + 1;
    }
    if (inFlight) this.report.inFlightKills[event.service] = (this.report.inFlightKills[event.service] ?? 0) + 1;
    const moment = event.service === 'orchestrator' ? ' holding unacked intents' : ' during a provider write';
    this.note(`killed ${names} (pid ${procs.map((p) => p.pid).join(', ')})${inFlight ? moment : ''}`);
    await sleep(event.downMs);
    await Promise.all(replicas.map((r) => this.startAgain(event.service, r)));
    this.note(`${names} is back`);
    return event.inFlight === true && !inFlight;
  }

  /**
   * Arms a held write at the worker's provider sandbox (Cal.com booking, Twilio message) and
   * resolves once the worker's next write is being held: the provider will commit it after the
   * worker is dead. False when no write came in time (the kill then lands at a random moment).
   */
  private async awaitProviderWrite(service: ServiceName): Promise<boolean> {
    const { calcom, twilio } = this.targets.sandboxes;
    const target =
      service === 'calcom-worker'
        ? { plan: calcom.faults, path: '/v2/bookings' }
        : service === 'telephony-worker'
          ? { plan: twilio.faults, path: `/2010-04-01/Accounts/${this.targets.sandboxes.twilioAccountSid}/Messages` }
          : undefined;
    if (target === undefined) return false;
    const held = observeFault(target.plan, { delayMs: IN_FLIGHT_HOLD_MS, method: 'POST', pathPrefix: target.path });
    const hit = await Promise.race([held.taken, sleep(IN_FLIGHT_WAIT_MS).then(() => false)]);
    held.dispose(!hit);
    return hit;
  }

  /**
   * Resolves once the orchestrator holds intents it has received and not acked yet, so a kill
   * now makes JetStream redeliver them (to its next incarnation). False when none came in time.
   */
  private async awaitUnackedIntents(): Promise<boolean> {
    const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
    while (Date.now() < deadline) {
      if (await this.hasUnackedIntents()) return true;
      await sleep(2);
    }
    return false;
  }

  /** Whether JetStream holds intents delivered to the orchestrator and not acked. */
  private async hasUnackedIntents(): Promise<boolean> {
    const info = await intentBacklog(this.targets.bus.jsm).catch(() => undefined);
    return (info?.ackPending ?? 0) > 0;
  }

  /**
   * Runs the mandatory events, then random kills while `busy()` holds, one disruption at a
   * time, each after a random gap (ms; `extra` is for the random kills, usually longer, so the
   * system gets time to make progress between them). Returns when the last event has finished.
   */
  async run(
    busy: () => boolean,
    gaps: { mandatory: { min: number; max: number }; extra: { min: number; max: number } },
  ): Promise<void> {
    const queue = mandatoryEvents(this.rng, this.topology);
    const misses = new Map<ChaosEvent, number>();
    for (;;) {
      const mandatory = queue.shift();
      const gap = mandatory === undefined ? gaps.extra : gaps.mandatory;
      await sleep(this.rng.int(gap.min, gap.max));
      const event: ChaosEvent | undefined =
        mandatory ??
        (busy()
          ? {
              type: 'kill',
              service: this.rng.pick(KillableServices),
              // (Drawn only in cluster mode, so a single-mode seed replays as before.)
              ...(this.topology.replicas > 1 ? { replica: this.rng.pick(this.replicas()) } : {}),
              downMs: this.rng.int(200, 1500),
            }
          : undefined);
      if (event === undefined || this.stopping) return;
      const run = this.execute(event);
      this.current = run;
      // A timed kill that missed its moment is tried again later: the case it stands for must
      // happen in every run, not in most.
      if ((await run) && mandatory !== undefined && busy()) {
        const n = (misses.get(mandatory) ?? 0) + 1;
        misses.set(mandatory, n);
        if (n < MAX_TIMED_KILL_TRIES) queue.push(mandatory);
      }
    }
  }

  /** Waits until the event and the recoveries in progress are over (every service is back). */
  async settle(): Promise<void> {
    await Promise.allSettled([this.current, ...this.recoveries]);
  }

  /** No further events or recoveries (the stack is about to stop); exits are no longer recorded. */
  stop(): void {
    this.stopping = true;
  }
}

/**
 * Adds a fault to a sandbox's plan and tells when a request took it. The plan copies a fault
 * when it applies it, so the request is recognised by a unique delay value.
 */
function observeFault(plan: FaultPlan, fault: Fault): { taken: Promise<boolean>; dispose(clear: boolean): void } {
  const original = plan.take.bind(plan);
  let resolve: (hit: boolean) => void = () => {};
  const taken = new Promise<boolean>((r) => {
    resolve = r;
  });
  const marked = { ...fault, delayMs: (fault.delayMs ?? 0) + (Math.floor(Math.random() * 97) + 1) / 1000 };
  plan.take = (method, path) => {
    const applied = original(method, path);
    if (applied?.delayMs === marked.delayMs) resolve(true);
    return applied;
  };
  plan.add(marked);
  return {
    taken,
    dispose(clear) {
      plan.take = original;
      // An unused armed fault must not hold a later, unrelated write.
      if (clear) plan.clear();
    },
  };
}
