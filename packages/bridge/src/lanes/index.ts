export { backoffStrategy } from './backoff.js';
export { startTeamLanes, type TeamLanes } from './team-lanes.js';
