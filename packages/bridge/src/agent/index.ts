export type { RunState } from './events.js';
export { capBuffer, joinCut } from './output-cap.js';
export { type MachinePool, SshPool } from './pool.js';
export { AgentLostError, RemoteAgent, RunBusyError } from './remote-agent.js';
export { RunCleaner } from './run-cleaner.js';
export { VAULT_DATA_ENV } from './script.js';
