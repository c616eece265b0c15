export {
  type Infra,
  type InfraEndpoints,
  type InfraOptions,
  type RestartablePiece,
  type RestartOptions,
  startInfra,
} from './infra.js';
export {
  type JaegerOptions,
  type JaegerPorts,
  type JaegerServer,
  jaegerConfig,
  startJaeger,
  startJaegerIfInstalled,
} from './jaeger.js';
export { type NatsCluster, type NatsOptions, type NatsServer, startNats, startNatsCluster } from './nats.js';
export { freePort, waitFor } from './ports.js';
export { type PostgresOptions, type PostgresServer, startPostgres } from './postgres.js';
export { type ManagedOptions, type ManagedProcess, spawnManaged, stopAll } from './process.js';
export { type ProviderSandboxes, type SandboxCredential, startProviderSandboxes } from './sandboxes.js';
export {
  type DemoSeed,
  demoTool,
  EXAMPLE_AGENTS,
  type ExampleAgent,
  type ExampleAgentName,
  exampleAgent,
  seedDemo,
} from './seed.js';
export {
  replicaName,
  type ServiceName,
  ServiceNames,
  type Services,
  type ServicesOptions,
  startServices,
} from './services.js';
export { type Sink, type SinkFault, type SinkRequest, startSink } from './sink.js';
export { startTemporal, type TemporalOptions, type TemporalServer } from './temporal.js';
export {
  binaryVersion,
  findBinary,
  findJaeger,
  MissingToolError,
  type OptionalBinary,
  pinnedJaeger,
  pinnedVersions,
  repoRoot,
} from './tools.js';
