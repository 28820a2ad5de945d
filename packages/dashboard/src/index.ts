export { createDashboard, type DashboardOptions } from './server.js';
