export { type AuditFn, taskProcessor } from './processor.js';
export { loadTeamKeys, readTeamKeyFile } from './team-keys.js';
