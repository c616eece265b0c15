/**
 * Workflows that a deployed release started must keep running on the code of this checkout:
 * bookings wait for days, and a session or lifecycle whose history no longer replays is stuck
 * (its workflow tasks fail with a nondeterminism error until the code is rolled back).
 *
 * `libs/chains/histories/<release>/` holds histories recorded from each release's build with
 * `test/src/tools/record-histories.ts`: booking chains whose lifecycle is confirmed or
 * cancelled by SMS, confirmations given and declined, an ended conversation, a test call cleaned
 * up, (from release 6) a session continued-as-new twice, and (from release 10) call control on
 * each channel, an async result delivered, bookings cancelled and moved during the call. Every
 * one is replayed here against the built workflow bundle (no server is needed), and
 * the corpus must hold both branches of every `patched()` call: a marker a history carries, and
 * an older history of the same workflow type without it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { loadWorkflowCode } from '@switchboard/chains';
import proto from '@temporalio/proto';
import { Runtime, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';

const corpus = fileURLToPath(new URL('../histories', import.meta.url));
const { History } = proto.temporal.api.history.v1;

/**
 * The `patched()` ids of the workflow code, by workflow type. A new patch goes here, and the
 * corpus gets a release recorded before it (its old branch) and one after (its new branch).
 */
const Patches: Record<string, string[]> = {
  conversationSession: [
    'session-idle-watchdog',
    'lifecycle-start-by-activity',
    'confirmation-parking',
    'lenient-outputs',
    'seedmisc-test-call-cleanup',
    'channels-call-control',
    'async-result-delivery',
    'booking-follow-changes',
    'lifecycle-start-with-outcome',
  ],
  bookingLifecycle: ['sms-thread-start-first', 'reminder-asks-thread', 'booking-lifecycle-changes'],
  smsThread: ['sms-reply-to-last-asker'],
};

/** The workflow types every release's recording holds. */
const RecordedTypes = ['bookingLifecycle', 'conversationSession', 'sandboxCompensation', 'smsThread'];
/** Workflow types recorded from a later release on (the release number whose recorder first started them). */
const RecordedSince: Record<string, number> = { resultDelivery: 10 };

interface Recorded {
  release: string;
  file: string;
  workflowType: string;
  history: proto.temporal.api.history.v1.History;
  patches: string[];
  /** Started by a continue-as-new of the run before (its input carries that run's state). */
  continued: boolean;
  /** Ended by continuing as new. */
  continuedAsNew: boolean;
}

function load(): Recorded[] {
  const recorded: Recorded[] = [];
  for (const release of readdirSync(corpus, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const file of readdirSync(join(corpus, release.name)).filter((f) => f.endsWith('.json.gz'))) {
      const json = gunzipSync(readFileSync(join(corpus, release.name, file))).toString('utf8');
      const history = History.fromObject(JSON.parse(json));
      const started = history.events[0]?.workflowExecutionStartedEventAttributes;
      const patches = history.events.flatMap((e) => {
        const marker = e.markerRecordedEventAttributes;
        const data =
          marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0]?.data : undefined;
        return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
      });
      recorded.push({
        release: release.name,
        file,
        workflowType: started?.workflowType?.name ?? '?',
        history,
        patches,
        continued: (started?.continuedExecutionRunId ?? '') !== '',
        continuedAsNew: history.events.some((e) => e.workflowExecutionContinuedAsNewEventAttributes),
      });
    }
  }
  // Release 10 after release 9: folders are `<n>-<commit>`.
  return recorded.sort((a, b) =>
    `${a.release}/${a.file}`.localeCompare(`${b.release}/${b.file}`, 'en', { numeric: true }),
  );
}

const recorded = load();
const releases = [...new Set(recorded.map((r) => r.release))];

beforeAll(() => {
  // The replay worker logs every nondeterminism it finds; the assertions say which history.
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never });
});

describe('workflow history replay', () => {
  it('has histories of every long-lived workflow type from at least two releases', () => {
    expect(releases.length).toBeGreaterThanOrEqual(2);
    for (const release of releases) {
      const types = new Set(recorded.filter((r) => r.release === release).map((r) => r.workflowType));
      const later = Object.entries(RecordedSince).filter(([, since]) => Number.parseInt(release, 10) >= since);
      expect([...types].sort(), release).toEqual([...RecordedTypes, ...later.map(([type]) => type)].sort());
    }
  });

  it('holds both branches of every patch', () => {
    for (const [workflowType, ids] of Object.entries(Patches)) {
      const histories = recorded.filter((r) => r.workflowType === workflowType);
      for (const id of ids) {
        expect(
          histories.some((r) => r.patches.includes(id)),
          `a ${workflowType} history with marker ${id}`,
        ).toBe(true);
        expect(
          histories.some((r) => !r.patches.includes(id)),
          `a ${workflowType} history without marker ${id}`,
        ).toBe(true);
      }
    }
    // A marker the table does not know is a patch nobody recorded the other branch of.
    for (const r of recorded) {
      for (const id of r.patches) expect(Patches[r.workflowType] ?? [], `${r.release}/${r.file}`).toContain(id);
    }
  });

  it('has sessions that continued-as-new: a run that ended so, and one started from it carrying state', () => {
    // A session continues every 100 intents, carrying de-duplication ids, pending and parked
    // intents and its chain state into the next run: a change to what it carries must replay.
    const sessions = recorded.filter((r) => r.workflowType === 'conversationSession');
    expect(sessions.some((r) => r.continuedAsNew && !r.continued)).toBe(true);
    expect(sessions.some((r) => r.continuedAsNew && r.continued)).toBe(true);
    expect(sessions.some((r) => r.continued && !r.continuedAsNew)).toBe(true);
  });

  it.each(releases)('replays every history of release %s on the current workflow code', async (release) => {
    const workflowBundle = await loadWorkflowCode({ stackTraceLimit: 0 });
    const ofRelease = recorded.filter((r) => r.release === release);
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle, replayName: `replay-${release}` },
      ofRelease.map((r) => ({ workflowId: r.file, history: r.history })),
    )) {
      replayed++;
      if (result.error) failures.push(`${release}/${result.workflowId}: ${result.error.message.slice(0, 600)}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(ofRelease.length);
  });
});
