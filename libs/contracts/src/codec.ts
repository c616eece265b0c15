import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampDate, timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  type ActionEvent,
  ActionEventSchema,
  type ActionIntent,
  ActionIntentSchema,
  type ActionResult,
  ActionResultSchema,
  type ConversationControl,
  ConversationControlSchema,
} from './gen/switchboard/bus/v1/bus_pb.js';

/** Binary protobuf encoding of bus messages; the wire format of every NATS payload. */
export const encodeIntent = (m: ActionIntent): Uint8Array => toBinary(ActionIntentSchema, m);
export const decodeIntent = (b: Uint8Array): ActionIntent => fromBinary(ActionIntentSchema, b);
export const encodeEvent = (m: ActionEvent): Uint8Array => toBinary(ActionEventSchema, m);
export const decodeEvent = (b: Uint8Array): ActionEvent => fromBinary(ActionEventSchema, b);
export const encodeResult = (m: ActionResult): Uint8Array => toBinary(ActionResultSchema, m);
export const decodeResult = (b: Uint8Array): ActionResult => fromBinary(ActionResultSchema, b);
export const encodeControl = (m: ConversationControl): Uint8Array => toBinary(ConversationControlSchema, m);
export const decodeControl = (b: Uint8Array): ConversationControl => fromBinary(ConversationControlSchema, b);

export { create, timestampDate, timestampFromMs };
