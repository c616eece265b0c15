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

/** How many workflows are running, by type ("none" when none); counts at most `max`. */
export async function openWorkflowsByType(client: Client, max = 5_000): Promise<string> {
  const byType = new Map<string, number>();
  let n = 0;
  for await (const w of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    byType.set(w.type, (byType.get(w.type) ?? 0) + 1);
    if (++n >= max) break;
  }
  return n === 0 ? 'none' : [...byType].map(([type, count]) => `${type} ${count}`).join(', ');
}
