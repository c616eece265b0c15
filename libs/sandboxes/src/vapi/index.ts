/**
 * Vapi Live Call Control stand-in: `startVapiControlSandbox()`, and the check of control
 * request bodies against the SDK's types. Import as `@switchboard/sandboxes/vapi`.
 */
export {
  startVapiControlSandbox,
  type VapiControlRequest,
  type VapiControlSandbox,
  type VapiSandboxCall,
} from './sandbox.js';
export { vapiControlBodyProblems } from './shape.js';
