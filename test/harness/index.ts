// The test harness tests import as `../harness/index.js`.

export { type BridgeProcess, startBridgeProcess } from './bridge-process.js';
export { addMachine, addTeamWithMachine } from './fleet.js';
export { claimByHand } from './hand-claim.js';
export { Harness, type MachineOptions, type TestMachine } from './harness.js';
export { type IdTally, idCommand, tallyIds } from './id-files.js';
export { type LoginUser, loginUser, loginUsersUnavailable } from './login-users.js';
export { type IsolatedMachine, isolatedMachine, netnsUnavailable } from './netns.js';
export { openRaw, type ProducerTeam, startProducerTeam } from './producer-team.js';
export { metricNames, parseProm, type Sample, sampleValue } from './prom-text.js';
export { holdCommand, loggedCommand, maxOverlap } from './run-log.js';
export { openSse, type SseClient, type SseEvent } from './sse-client.js';
export { startTeamBridges, type TeamBridges } from './team-bridges.js';
export { useHarness } from './use-harness.js';
export { waitFor } from './wait-for.js';
