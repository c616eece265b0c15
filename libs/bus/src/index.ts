export {
  type Bus,
  type BusOptions,
  busHeaders,
  connectBus,
  ensureStreams,
  publishDurable,
  publishFirstOnSubject,
  type StreamOptions,
  streamReplicas,
  traceFromHeaders,
} from './bus.js';
