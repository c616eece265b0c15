export { Consumers, Headers, type MessageKind, MessageKinds, type StreamName, Streams, Subjects } from './bus.js';
export {
  create,
  decodeEvent,
  decodeIntent,
  decodeResult,
  encodeEvent,
  encodeIntent,
  encodeResult,
  timestampDate,
  timestampFromMs,
} from './codec.js';
export * from './gen/switchboard/bus/v1/bus_pb.js';
export {
  endSessionSignal,
  intentSignal,
  type SessionInput,
  type SessionIntent,
  type SessionSnapshot,
  sessionStateQuery,
  sessionWorkflowId,
  type TaskQueue,
  TaskQueues,
  taskQueueForOperation,
  WorkflowTypes,
} from './temporal.js';
