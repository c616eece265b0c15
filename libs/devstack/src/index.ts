export { type Infra, type InfraEndpoints, type InfraOptions, startInfra } from './infra.js';
export { type NatsOptions, type NatsServer, startNats } from './nats.js';
export { freePort, waitFor } from './ports.js';
export { type PostgresOptions, type PostgresServer, startPostgres } from './postgres.js';
export { type ManagedOptions, type ManagedProcess, spawnManaged, stopAll } from './process.js';
export { startTemporal, type TemporalOptions, type TemporalServer } from './temporal.js';
export { binaryVersion, findBinary, MissingToolError, pinnedVersions, repoRoot } from './tools.js';
