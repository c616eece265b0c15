export {
  type Bus,
  type BusOptions,
  busHeaders,
  connectBus,
  ensureStreams,
  publishDurable,
  type StreamOptions,
  streamReplicas,
  traceFromHeaders,
} from './bus.js';
