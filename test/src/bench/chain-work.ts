/**
 * The engine work a chain causes, counted from the histories of the workflows it ran: what the
 * equal-work ceiling must reproduce, and the check (printed beside each other in the report)
 * that it does. Counted per history, summed over the chain's workflows.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

type EventType = proto.temporal.api.enums.v1.EventType;
const E = proto.temporal.api.enums.v1.EventType;

/** Engine work of a chain (sums over its workflows' histories). */
export interface ChainWork {
  workflows: number;
  historyEvents: number;
  workflowTasks: number;
  activities: number;
  localActivities: number;
  timers: number;
  /** Signals received (incl. signal-with-start's). */
  signals: number;
  /** Signals sent from a workflow to another. */
  externalSignals: number;
  childWorkflows: number;
  searchAttributeUpserts: number;
  /** Activity types scheduled, by name (e.g. `calcom.book: 1`). */
  activityTypes: Record<string, number>;
  /** Workflow types, by name. */
  workflowTypes: Record<string, number>;
}

export function emptyWork(): ChainWork {
  return {
    workflows: 0,
    historyEvents: 0,
    workflowTasks: 0,
    activities: 0,
    localActivities: 0,
    timers: 0,
    signals: 0,
    externalSignals: 0,
    childWorkflows: 0,
    searchAttributeUpserts: 0,
    activityTypes: {},
    workflowTypes: {},
  };
}

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Adds the work recorded in the histories of `workflowIds` (latest runs) to a fresh tally. */
export async function countChainWork(client: Client, workflowIds: readonly string[]): Promise<ChainWork> {
  const work = emptyWork();
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    work.workflows++;
    for (const event of history.events ?? []) {
      work.historyEvents++;
      const type = event.eventType as EventType;
      if (type === E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
        bump(work.workflowTypes, event.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?');
      } else if (type === E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) work.workflowTasks++;
      else if (type === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        work.activities++;
        bump(work.activityTypes, event.activityTaskScheduledEventAttributes?.activityType?.name ?? '?');
      } else if (type === E.EVENT_TYPE_MARKER_RECORDED) {
        // Patch markers are no work of their own; local activities are.
        if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') work.localActivities++;
      } else if (type === E.EVENT_TYPE_TIMER_STARTED) work.timers++;
      else if (type === E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) work.signals++;
      else if (type === E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED) work.externalSignals++;
      else if (type === E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) work.childWorkflows++;
      else if (type === E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) work.searchAttributeUpserts++;
    }
  }
  return work;
}

/** One line: `workflows 3 (a 1, b 2), events 70, workflow tasks 12, …`. */
export function formatWork(w: ChainWork): string {
  const named = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  return (
    `workflows ${w.workflows} (${named(w.workflowTypes)}), events ${w.historyEvents}, workflow tasks ${w.workflowTasks}, ` +
    `activities ${w.activities} (${named(w.activityTypes)}), local activities ${w.localActivities}, timers ${w.timers}, ` +
    `signals ${w.signals}, external signals ${w.externalSignals}, children ${w.childWorkflows}, search attribute upserts ${w.searchAttributeUpserts}`
  );
}

/**
 * Counts until the chain's workflows are done with it: `ready` holds and the histories did not
 * grow over the last poll (a workflow task completes a moment after its local activities have
 * told the client the result). Gives the last count after `timeoutMs`.
 */
export async function settledWork(
  count: () => Promise<ChainWork | undefined>,
  ready: (work: ChainWork) => boolean,
  timeoutMs = 10_000,
): Promise<ChainWork> {
  const deadline = Date.now() + timeoutMs;
  let previous: ChainWork | undefined;
  for (;;) {
    const work = await count();
    if (work && ready(work) && work.historyEvents === previous?.historyEvents) return work;
    if (work && Date.now() > deadline) return work;
    previous = work;
    await new Promise((r) => setTimeout(r, 500));
  }
}
