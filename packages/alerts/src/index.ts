export { DEFAULT_DELIVERY, type DeliveryJobData, type DeliveryOptions } from './delivery.js';
export { type Alerting, type AlertingOptions, startAlerting } from './engine.js';
export {
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  signBody,
  TIMESTAMP_HEADER,
  verifySignature,
} from './signature.js';
export { findTeamKeys } from './team-keys.js';
