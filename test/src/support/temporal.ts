import { Client, Connection } from '@temporalio/client';

/** A client of a test stack's Temporal server (what a test reads about workflows). */
export interface StackTemporal {
  client: Client;
  close(): Promise<void>;
}

/** Connects to the stack's Temporal server (`stack.infra.temporalAddress`). */
export async function connectTemporal(address: string, namespace = 'default'): Promise<StackTemporal> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace }), close: () => connection.close() };
}

/** How many signals named `signalName` the workflow's current run has recorded. */
export async function signalsRecorded(client: Client, workflowId: string, signalName: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === signalName)
    .length;
}

/** One open workflow, for a report of what was still running. */
export interface OpenWorkflow {
  workflowId: string;
  type: string;
  startTime: string;
  /** Events in its history so far. */
  historyLength: number;
}

/** The workflows still running (at most `limit`), newest first. */
export async function openWorkflows(client: Client, limit = 20): Promise<OpenWorkflow[]> {
  const out: OpenWorkflow[] = [];
  for await (const w of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    out.push({
      workflowId: w.workflowId,
      type: w.type,
      startTime: w.startTime.toISOString(),
      historyLength: w.historyLength,
    });
    if (out.length >= limit) break;
  }
  return out;
}
