import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { type InboundEvent, InboundEventSchema } from './gen/switchboard/bus/v1/bus_pb.js';

export {
  Consumers,
  Headers,
  INBOUND_PARTITIONS,
  INTENT_PARTITIONS,
  type InboundSubjectKind,
  laneToken,
  type MessageKind,
  MessageKinds,
  type StreamName,
  Streams,
  Subjects,
} from './bus.js';
export {
  create,
  decodeControl,
  decodeEvent,
  decodeIntent,
  decodeResult,
  encodeControl,
  encodeEvent,
  encodeIntent,
  encodeResult,
  timestampDate,
  timestampFromMs,
} from './codec.js';
export * from './gen/switchboard/bus/v1/bus_pb.js';
export {
  type BookingChange,
  type BookingLifecycleEvent,
  type BookingLifecycleInput,
  type BookingLifecycleState,
  type BookingLifecycleStatus,
  BookingLifecycleWorkflowType,
  bookingChangedSignal,
  bookingLifecycleStateQuery,
  bookingLifecycleWorkflowId,
} from './lifecycle.js';
export { readTaskQueues } from './task-queues.js';
export {
  type BookingLifecycleTimings,
  type CallStatusUpdate,
  callStatusSignal,
  controlSignal,
  DefaultSessionSettings,
  endSessionSignal,
  familyProvider,
  type InboundSms,
  inboundSmsSignal,
  intentSignal,
  type ProviderFamily,
  type ProviderName,
  ProviderNames,
  type SessionControl,
  type SessionControlKind,
  type SessionInput,
  type SessionIntent,
  type SessionSettings,
  type SessionSnapshot,
  type SmsThreadInput,
  type SmsThreadState,
  sessionStateQuery,
  sessionWorkflowId,
  smsThreadStateQuery,
  smsThreadWorkflowId,
  subscribeSmsSignal,
  type TaskQueue,
  type TaskQueueNames,
  TaskQueues,
  unsubscribeSmsSignal,
  WorkflowTypes,
} from './temporal.js';

/** Binary protobuf encoding of {@link InboundEvent} (the payload on `SB_INBOUND`). */
export const encodeInbound = (m: InboundEvent): Uint8Array => toBinary(InboundEventSchema, m);
export const decodeInbound = (b: Uint8Array): InboundEvent => fromBinary(InboundEventSchema, b);
