export {
  type Bus,
  type BusOptions,
  busHeaders,
  connectBus,
  ensureStreams,
  publishDurable,
  type StreamOptions,
  traceFromHeaders,
} from './bus.js';
